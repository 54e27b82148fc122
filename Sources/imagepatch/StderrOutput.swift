import Foundation
import Glibc
import OCI

/// Every line imagepatch writes to stderr, so that untrusted text in it is escaped (one value can
/// never forge a line, such as a fake `imagepatch: error:`), and so that a run ended from another
/// thread (a signal, `--timeout`) has its line last: once `exit` holds the lock, nothing else writes.
enum StderrOutput {
    private static let lock = NSLock()

    /// `prefix` (imagepatch's own text) followed by `text`, escaped, as one line.
    static func write(_ prefix: String, _ text: String) {
        lock.withLock { put(prefix + TerminalText.escaped(text) + "\n") }
    }

    /// Takes the lock for good, runs `cleanup`, writes `line` and exits with `code` at once.
    /// The run's other threads go on meanwhile, so `cleanup` runs again just before the exit, for
    /// what they created during the first pass; `_exit` skips the atexit work that would widen
    /// that window.
    static func exit(_ code: Int32, after cleanup: () -> Void, line: String) -> Never {
        lock.lock()
        cleanup()
        put(line + "\n")
        cleanup()
        _exit(code)
    }

    /// Writes to fd 2 directly, as the unbuffered C `stderr` stream would: that stream is a C global
    /// the compiler cannot check.
    private static func put(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    /// For a thread that finds the run already ended elsewhere: it waits for that exit.
    static func waitForExit() -> Never {
        while true { sleep(60) }
    }
}
