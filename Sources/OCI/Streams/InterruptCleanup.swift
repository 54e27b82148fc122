import Glibc

/// Paths that exist only while a run is in progress (staging directories, files being written).
/// An interrupted run (Ctrl-C in a terminal, SIGTERM from a CI runner, `--timeout`) removes them
/// before exiting, so it leaves what a failed run leaves: nothing.
public enum InterruptCleanup {
    private static let lock = Lock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    /// Set once the process is exiting: a path registered after the cleanup's snapshot would
    /// otherwise outlive the run.
    nonisolated(unsafe) private static var closed = false

    static func register(_ path: String) {
        let exiting = lock.withLock { () -> Bool in
            if !closed { paths.insert(path) }
            return closed
        }
        guard exiting else { return }
        // The process is on its way out: remove what this thread just made, and go no further.
        FileSystem.removeTree(path)
        while true { pause() }
    }

    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Removes every registered path; called from the thread that ends the run.
    public static func removeAll() {
        for path in lock.withLock({ closed = true; return paths }) { FileSystem.removeTree(path) }
    }
}
