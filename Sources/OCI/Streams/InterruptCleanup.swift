import Glibc

/// Paths that exist only while a run is in progress (staging directories, files being written).
/// An interrupted run (Ctrl-C in a terminal, SIGTERM from a CI runner) removes them before exiting,
/// so it leaves what a failed run leaves: nothing.
public enum InterruptCleanup {
    private static let lock = Lock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Removes every registered path; called from the signal handler's thread.
    public static func removeAll() {
        for path in lock.withLock({ paths }) { FileSystem.removeTree(path) }
    }
}
