import Synchronization

/// A run changes its target at one moment only: the final commit (a rename into place, or the
/// manifest PUT by tag). `--timeout` stops a run from another thread; this gate makes stopping and
/// committing exclusive, so a stopped run has surely not begun its commit (its target is as it was),
/// and a commit that has begun is never cut short.
public enum RunGate {
    private enum State { case running, committed, stopped }

    private static let state = Mutex(State.running)

    /// Called before the commit, and when a run has finished: true when the run may go on to the end;
    /// false when it was stopped (the process is exiting, so the caller must not go on).
    public static func commit() -> Bool {
        state.withLock { state in
            if state == .running { state = .committed }
            return state == .committed
        }
    }

    /// Called when the deadline passes: true when the run is stopped before its commit; false when
    /// the commit has begun (or the run finished), which then goes on to the end.
    public static func stop() -> Bool {
        state.withLock { state in
            if state == .running { state = .stopped }
            return state == .stopped
        }
    }
}
