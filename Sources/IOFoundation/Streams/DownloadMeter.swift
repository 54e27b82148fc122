import Synchronization

/// A progress display's view of downloads that finish before their reader is handed over (a
/// registry blob is fetched into a private file and verified first): the code that asks for a blob
/// registers a meter for its digest around the request, and the download reports to it, as each
/// chunk arrives, how many bytes of the current attempt it has received (a restarted attempt starts
/// again from 0). Nothing is counted for a digest no one registered.
///
/// Keyed by digest rather than carried in a task-local value: the blob is requested from code that
/// runs on the blocking executor's threads, where pushing a task-local crashed the release build.
/// Two requests of one digest at once share the meter registered last; it only feeds a display.
public enum DownloadMeter {
    public typealias Meter = @Sendable (Int64) -> Void

    private struct Registration {
        let token: UInt64
        let meter: Meter
    }

    private struct State {
        var next: UInt64 = 0
        var registrations: [String: Registration] = [:]
    }

    private static let state = Mutex(State())

    /// Runs `body` (which requests the blob `digest`) with `meter` told what its download receives.
    public static func counting<T>(_ digest: String, into meter: @escaping Meter, _ body: () async throws -> T) async throws -> T {
        let token = state.withLock { state in
            state.next += 1
            state.registrations[digest] = Registration(token: state.next, meter: meter)
            return state.next
        }
        defer {
            state.withLock { state in
                if state.registrations[digest]?.token == token { state.registrations[digest] = nil }
            }
        }
        return try await body()
    }

    /// The meter registered for `digest`, if any: asked once by each download as it starts.
    public static func meter(for digest: String) -> Meter? {
        state.withLock { $0.registrations[digest]?.meter }
    }
}
