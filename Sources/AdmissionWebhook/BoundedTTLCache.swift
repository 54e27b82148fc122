import Synchronization

/// A bounded cache whose entries expire, for the webhook's image lookups (Entrypoint/Cmd per image
/// digest), so a Deployment rollout reads each image once.
///
/// Concurrent lookups of a key that is not cached share one computation; a failed computation is not
/// cached. At capacity, expired entries go first, then the least recently used one.
public final class BoundedTTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: ContinuousClock.Instant
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var inFlight: [Key: Task<Value, any Error>] = [:]
        var tick: UInt64 = 0
    }

    public let capacity: Int
    public let timeToLive: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    /// - Parameter now: the clock, replaceable in tests.
    public init(
        capacity: Int, timeToLive: Duration,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        precondition(capacity > 0, "a cache needs room for one entry")
        self.capacity = capacity
        self.timeToLive = timeToLive
        self.now = now
    }

    /// The number of entries held, expired ones included until they are evicted.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The cached value, unless it expired.
    public func value(for key: Key) -> Value? {
        let now = now()
        return state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            state.tick += 1
            entry.lastUsed = state.tick
            state.entries[key] = entry
            return entry.value
        }
    }

    public func insert(_ value: Value, for key: Key) {
        let now = now()
        state.withLock { state in
            Self.store(value, for: key, in: &state, now: now, expires: now.advanced(by: timeToLive), capacity: capacity)
        }
    }

    public func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    /// The cached value, or the result of `compute`, cached. Callers asking for the same key while it is
    /// being computed wait for that computation instead of starting their own.
    public func value(for key: Key, orCompute compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let value = value(for: key) { return value }
        let task: Task<Value, any Error> = state.withLock { state in
            if let running = state.inFlight[key] { return running }
            let task = Task { try await compute() }
            state.inFlight[key] = task
            return task
        }
        do {
            let value = try await task.value
            finish(key, task: task, value: value)
            return value
        } catch {
            finish(key, task: task, value: nil)
            throw error
        }
    }

    private func finish(_ key: Key, task: Task<Value, any Error>, value: Value?) {
        let now = now()
        state.withLock { state in
            // Only the first waiter to finish stores the value; later ones find the task gone.
            guard let running = state.inFlight[key], running == task else { return }
            state.inFlight[key] = nil
            if let value {
                Self.store(value, for: key, in: &state, now: now, expires: now.advanced(by: timeToLive), capacity: capacity)
            }
        }
    }

    private static func store(
        _ value: Value, for key: Key, in state: inout State, now: ContinuousClock.Instant, expires: ContinuousClock.Instant,
        capacity: Int
    ) {
        state.tick += 1
        if state.entries[key] == nil, state.entries.count >= capacity {
            state.entries = state.entries.filter { $0.value.expires > now }
            if state.entries.count >= capacity, let oldest = state.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                state.entries[oldest.key] = nil
            }
        }
        state.entries[key] = Entry(value: value, expires: expires, lastUsed: state.tick)
    }
}
