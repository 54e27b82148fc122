import Foundation
import Glibc
import OCI

/// Every line imagepatch writes to stderr, so that untrusted text in it is escaped (one value can
/// never forge a line, such as a fake `imagepatch: error:`), and so that a run ended from another
/// thread (a signal, `--timeout`) has its line last: once `exit` holds the lock, nothing else writes.
///
/// On a terminal (`--progress tty`) it also keeps the live area: the progress bars, drawn below the
/// lines, each line ending with a newline so the cursor rests under them. Every line written erases
/// the area, goes where it was, and the area is drawn again under it, all in one write.
enum StderrOutput {
    private static let lock = NSLock()
    /// The live area's lines as drawn (already escaped and cut to the terminal's width); guarded by `lock`.
    nonisolated(unsafe) private static var live: [String] = []

    /// `prefix` (imagepatch's own text) followed by `text`, escaped, as one line.
    static func write(_ prefix: String, _ text: String) {
        lock.withLock { put(erasure() + prefix + TerminalText.escaped(text) + "\n" + drawing(live)) }
    }

    /// Replaces the live area with `lines` (imagepatch's own text, escaped, none wider than the
    /// terminal); no lines erases it.
    static func showLive(_ lines: [String]) {
        lock.withLock {
            let text = erasure() + drawing(lines)
            live = lines
            if !text.isEmpty { put(text) }
        }
    }

    /// Runs `body` (which writes to stdout) with the live area erased, then draws it again: stdout
    /// may be the same terminal, and a line printed under the area would be erased with it.
    static func pausingLive(_ body: () -> Void) {
        lock.withLock {
            guard !live.isEmpty else { return body() }
            put(erasure())
            body()
            put(drawing(live))
        }
    }

    /// Moves the cursor up over the live area and clears from there to the end of the screen.
    private static func erasure() -> String { live.isEmpty ? "" : "\r\u{1B}[\(live.count)A\u{1B}[J" }

    private static func drawing(_ lines: [String]) -> String { lines.map { $0 + "\n" }.joined() }

    /// Takes the lock for good, runs `cleanup`, writes `line` and exits with `code` at once.
    /// The run's other threads go on meanwhile, so `cleanup` runs again just before the exit, for
    /// what they created during the first pass; `_exit` skips the atexit work that would widen
    /// that window.
    static func exit(_ code: Int32, after cleanup: () -> Void, line: String) -> Never {
        lock.lock()
        cleanup()
        put(erasure() + line + "\n")
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
