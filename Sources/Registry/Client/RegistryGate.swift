import Foundation
import Synchronization

/// What every worker of one process shares about one registry: how many requests may be in flight
/// to it (`--max-connections-per-registry`), and until when it asked to be left alone (a 429).
///
/// A slot is held for exactly one HTTP exchange, body included, and never while waiting for
/// anything but that exchange: not during a retry's backoff, not during a token fetch. The only
/// requests that depend on each other are a streamed blob download and the upload that reads it;
/// they take their slots together, through `withStreamingSlots`, so neither waits for a slot while
/// the other holds one. Waiting never blocks a thread: waiters are continuations, served in order,
/// and a cancelled waiter leaves the queue at once.
public final class RegistryGate: Sendable {
    public let registry: String
    public let capacity: Int
    /// A registry's pause is never longer than this (Retry-After is capped the same way).
    let maximumPause: Double

    private let state: Mutex<State>

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var notBefore: ContinuousClock.Instant?
        /// The most requests ever in flight at once, for tests and the debug log.
        var peak = 0

        mutating func take(_ count: Int, capacity: Int) {
            available -= count
            peak = max(peak, capacity - available)
        }
    }

    private struct Waiter {
        let id: UInt64
        let count: Int
        let continuation: CheckedContinuation<Void, Error>
    }

    /// What `--max-connections-per-registry` accepts.
    public static let capacityRange = 1...256
    public static let defaultCapacity = 8

    public init(registry: String, capacity: Int = RegistryGate.defaultCapacity, maximumPause: Double = RetryPolicy().maximumRetryAfter) {
        precondition(Self.capacityRange.contains(capacity), "a registry gate needs 1...256 slots")
        self.registry = registry
        self.capacity = capacity
        self.maximumPause = maximumPause
        state = Mutex(State(available: capacity))
    }

    /// Requests in flight now, and the most there ever were.
    public var inFlight: Int { state.withLock { capacity - $0.available } }
    public var peakInFlight: Int { state.withLock { $0.peak } }
    /// Requests queued for a slot now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    // MARK: Slots

    /// Waits, first come first served, until `count` slots are free, and takes them all at once.
    /// Throws `CancellationError` when the task is cancelled while waiting (nothing is then held).
    func acquire(_ count: Int = 1) async throws {
        precondition(count >= 1 && count <= capacity)
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let outcome: Result<Void, Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.waiters.isEmpty && state.available >= count {
                        state.take(count, capacity: capacity)
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, count: count, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
            // The head of the queue may have been waiting behind the one that left.
            if cancelled != nil { release(0) }
        }
    }

    /// Gives `count` slots back and lets in the waiters that now fit, in order.
    func release(_ count: Int = 1) {
        let admitted = state.withLock { state -> [Waiter] in
            state.available += count
            precondition(state.available <= capacity, "released more slots of \(registry) than were taken")
            var admitted: [Waiter] = []
            while let first = state.waiters.first, first.count <= state.available {
                state.waiters.removeFirst()
                state.take(first.count, capacity: capacity)
                admitted.append(first)
            }
            return admitted
        }
        for waiter in admitted { waiter.continuation.resume() }
    }

    // MARK: Pause after a 429

    /// The registry said "too many requests": no new request to it starts for `seconds` (bounded
    /// by `maximumPause`), whichever worker was told. A later, shorter pause never shortens it.
    func pause(for seconds: Double) {
        guard seconds > 0 else { return }
        let until = ContinuousClock.now + .milliseconds(Int64(min(seconds, maximumPause) * 1000))
        state.withLock { state in
            if state.notBefore.map({ $0 < until }) ?? true { state.notBefore = until }
        }
    }

    /// How long the registry still wants to be left alone, if at all.
    var remainingPause: Duration? {
        let now = ContinuousClock.now
        return state.withLock { $0.notBefore.flatMap { $0 > now ? $0 - now : nil } }
    }

    /// Sleeps (cancellably) until no pause is in force.
    func waitForPause() async throws {
        while let remaining = remainingPause {
            try await Task.sleep(for: remaining)
        }
    }

    // MARK: One exchange

    /// Runs one HTTP exchange in a slot: the one lent by an enclosing `withStreamingSlots` when
    /// there is one, otherwise one taken from the gate. It starts only once no pause is in force;
    /// a pause that began while it waited for its slot is waited out without holding the slot.
    func withSlot<T>(_ exchange: () async throws -> T) async throws -> T {
        if let lease = Self.lease, lease.claim(self) {
            defer { lease.unclaim(self) }
            try await waitForPause()
            return try await exchange()
        }
        while true {
            try await waitForPause()
            try await acquire()
            if remainingPause == nil { break }
            release()
        }
        defer { release() }
        return try await exchange()
    }

    // MARK: A streamed download and the upload that reads it

    /// Slots taken together for a download whose body streams into an upload, lent to the
    /// requests made inside `body` and in the tasks it starts (task-local values are inherited).
    @TaskLocal static var lease: SlotLease?

    /// Takes one slot on `upload`'s gate for the upload and one on `download`'s for the download
    /// that feeds it (two on one gate when they are the same), then runs `body` with them lent.
    /// Two gates are taken in the order of their registries' names, one gate's two slots at once,
    /// so no pair ever holds a slot while waiting for one that another pair holds before its own:
    /// there is no cycle, hence no deadlock, however many pairs run across however many registries.
    /// Returns false from `canStream` when the pair cannot fit (one gate of one slot): the caller
    /// then downloads first and uploads after.
    static func withStreamingSlots<T>(
        upload: RegistryGate, download: RegistryGate?,
        _ body: () async throws -> T
    ) async throws -> T {
        var gates: [(RegistryGate, Int)]
        if let download, download !== upload {
            gates = [(upload, 1), (download, 1)].sorted { $0.0.registry < $1.0.registry }
        } else {
            gates = [(upload, min(download == nil ? 1 : 2, upload.capacity))]
        }
        var taken: [(RegistryGate, Int)] = []
        do {
            for (gate, count) in gates {
                try await gate.acquire(count)
                taken.append((gate, count))
            }
        } catch {
            for (gate, count) in taken { gate.release(count) }
            throw error
        }
        let lease = SlotLease(taken)
        defer { lease.close() }
        return try await $lease.withValue(lease) { try await body() }
    }

    /// Whether a download from `download` may stream into an upload to `upload`: both need a
    /// slot at once, which one gate of a single slot cannot give.
    static func canStream(upload: RegistryGate, download: RegistryGate) -> Bool {
        download !== upload || upload.capacity >= 2
    }
}

/// Slots lent to the requests of one streamed transfer. Each request claims one for the length of
/// its exchange; when the transfer ends, free slots go back to their gates at once, and one still
/// in use (a download finishing after its reader let go) goes back when its exchange ends.
final class SlotLease: Sendable {
    private struct State {
        var slots: [ObjectIdentifier: (gate: RegistryGate, free: Int)] = [:]
        var closed = false
    }
    private let state: Mutex<State>

    init(_ taken: [(RegistryGate, Int)]) {
        var slots: [ObjectIdentifier: (gate: RegistryGate, free: Int)] = [:]
        for (gate, count) in taken { slots[ObjectIdentifier(gate), default: (gate, 0)].free += count }
        state = Mutex(State(slots: slots))
    }

    /// Takes a lent slot of `gate` if one is free; false sends the request to the gate itself.
    func claim(_ gate: RegistryGate) -> Bool {
        state.withLock { state in
            guard !state.closed, let entry = state.slots[ObjectIdentifier(gate)], entry.free > 0 else { return false }
            state.slots[ObjectIdentifier(gate)]!.free -= 1
            return true
        }
    }

    func unclaim(_ gate: RegistryGate) {
        let giveBack = state.withLock { state -> Bool in
            if state.closed { return true }
            state.slots[ObjectIdentifier(gate)]!.free += 1
            return false
        }
        if giveBack { gate.release() }
    }

    /// The transfer is over: the free slots go back now, the claimed ones when unclaimed.
    func close() {
        let free = state.withLock { state -> [(RegistryGate, Int)] in
            state.closed = true
            defer { state.slots.removeAll() }
            return state.slots.values.filter { $0.free > 0 }.map { ($0.gate, $0.free) }
        }
        for (gate, count) in free { gate.release(count) }
    }
}
