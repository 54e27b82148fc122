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
        lock.withLock { fputs(prefix + TerminalText.escaped(text) + "\n", stderr) }
    }

    /// Takes the lock for good, runs `cleanup`, writes `line` and exits with `code` at once.
    /// The run's other threads go on meanwhile, so `cleanup` runs again just before the exit, for
    /// what they created during the first pass; `_exit` skips the atexit work that would widen
    /// that window.
    static func exit(_ code: Int32, after cleanup: () -> Void, line: String) -> Never {
        lock.lock()
        cleanup()
        fputs(line + "\n", stderr)
        cleanup()
        _exit(code)
    }

    /// For a thread that finds the run already ended elsewhere: it waits for that exit.
    static func waitForExit() -> Never {
        while true { sleep(60) }
    }
}
