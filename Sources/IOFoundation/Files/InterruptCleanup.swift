import Glibc
import Synchronization

/// Paths that exist only while a run is in progress (staging directories, files being written).
/// An interrupted run (Ctrl-C in a terminal, SIGTERM from a CI runner, `--timeout`) removes them
/// before exiting, so it leaves what a failed run leaves: nothing.
public enum InterruptCleanup {
    private struct State {
        var paths: Set<String> = []
        /// Set once the process is exiting: a path registered after the cleanup's snapshot would
        /// otherwise outlive the run.
        var closed = false
    }
    private static let state = Mutex(State())

    public static func register(_ path: String) {
        let exiting = state.withLock { state -> Bool in
            if !state.closed { state.paths.insert(path) }
            return state.closed
        }
        guard exiting else { return }
        // The process is on its way out: remove what this thread just made, and go no further.
        FileSystem.removeTree(path)
        while true { pause() }
    }

    public static func unregister(_ path: String) { state.withLock { _ = $0.paths.remove(path) } }

    /// Removes every registered path; called from the thread that ends the run.
    public static func removeAll() {
        let paths = state.withLock { state -> Set<String> in
            state.closed = true
            return state.paths
        }
        for path in paths { FileSystem.removeTree(path) }
    }
}
