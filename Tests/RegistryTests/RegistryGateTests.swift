import Foundation
import HTTP
import IOFoundation
import OCI
import Testing

@testable import Registry

/// The bound on requests in flight per registry and the shared pause after a 429, against a
/// scripted registry whose exchanges take real (asynchronous) time.
@Suite("Registry: connections per registry and the 429 pause")
struct RegistryGateTests {
    static let host = "127.0.0.1:5000"
    static let base = "http://\(host)"
    static let manifest = Array(
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
            .utf8)

    /// A registry that answers every manifest (and the API check), each exchange lasting `exchange`.
    static func registry(
        exchange: Duration = .milliseconds(5),
        answer: @escaping (HTTPRequest, Int) throws -> ScriptedHTTP.Answer = { _, _ in .init(body: manifest) }
    ) -> TimedHTTP {
        TimedHTTP(
            ScriptedHTTP { request, earlier in
                try ScriptedHTTP.refusingTLS(request)
                if request.url == "\(base)/v2/" { return .init() }
                return try answer(request, earlier)
            }, exchange: exchange)
    }

    static func transport(_ http: TimedHTTP, connections: Int, retry: RetryPolicy = .fast) -> RegistryTransport {
        var options = RegistryTransport.Options()
        options.retry = retry
        options.maxConnectionsPerRegistry = connections
        return RegistryTransport(options: options, http: http)
    }

    @Test("never more than N requests in flight to one registry, however many tasks send at once", arguments: [1, 3, 8])
    func boundHolds(connections: Int) async throws {
        let http = Self.registry()
        let transport = Self.transport(http, connections: connections)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { _ = try await transport.source("\(Self.host)/app\(index % 5):1").rootManifest() }
            }
            try await group.waitForAll()
        }
        #expect(http.requestCount >= 40)
        #expect(http.peak <= connections, "\(http.peak) requests were in flight at once")
        // The load was enough to reach the bound: without the gate the peak would be far above it.
        #expect(http.peak == connections)
        #expect(transport.gate(for: Self.host).peakInFlight == connections)
        #expect(transport.gate(for: Self.host).inFlight == 0)
    }

    @Test("registries are bounded separately: a busy one does not hold back another")
    func perRegistry() async throws {
        let http = TimedHTTP(
            ScriptedHTTP { request, _ in
                try ScriptedHTTP.refusingTLS(request)
                return request.url.hasSuffix("/v2/") ? .init() : .init(body: Self.manifest)
            }, exchange: .milliseconds(5))
        let transport = Self.transport(http, connections: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                let host = index.isMultiple(of: 2) ? "127.0.0.1:5000" : "127.0.0.1:5001"
                group.addTask { _ = try await transport.source("\(host)/app:1").rootManifest() }
            }
            try await group.waitForAll()
        }
        #expect(http.peak <= 4)
        #expect(http.peak > 2, "two registries of 2 slots each should have had more than 2 requests in flight")
        #expect(transport.gate(for: "127.0.0.1:5000").peakInFlight <= 2)
        #expect(transport.gate(for: "127.0.0.1:5001").peakInFlight <= 2)
    }

    @Test("a task cancelled while waiting for a slot leaves the queue, holds nothing, and sends nothing")
    func cancelledWaiter() async throws {
        let gate = RegistryGate(registry: "r", capacity: 1)
        try await gate.acquire()
        let waiter = Task { try await gate.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.inFlight == 1)
        // Whoever queues next gets the slot as soon as it is free: the cancelled waiter is gone.
        let next = Task { try await gate.acquire() }
        gate.release()
        try await next.value
        #expect(gate.inFlight == 1)
        gate.release()
        #expect(gate.inFlight == 0)
        // A task cancelled before it asks never gets a slot.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await gate.acquire()
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(gate.inFlight == 0)
    }

    @Test("a request cancelled while queued behind a busy registry is never sent")
    func cancelledRequest() async throws {
        let http = Self.registry()
        let transport = Self.transport(http, connections: 1)
        let source = try await transport.source("\(Self.host)/app:1")
        let gate = transport.gate(for: Self.host)
        try await gate.acquire()  // the registry's only slot, busy
        let queued = Task { try await source.rootManifest() }
        let asked = ContinuousClock.now
        while gate.waiting == 0 && ContinuousClock.now - asked < .seconds(10) { try await Task.sleep(for: .milliseconds(2)) }
        #expect(gate.waiting == 1)
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(gate.waiting == 0)
        gate.release()
        #expect(gate.inFlight == 0)
        // Counted when handed to the HTTP client, whether or not it was answered.
        #expect(http.sent.filter { $0.url.contains("/manifests/") }.isEmpty)
    }

    @Test(
        "one worker's 429 holds back every worker's next request to that registry",
        arguments: [
            ("Retry-After: 1, capped to 0.4 s", "1", 0.35),
            ("no Retry-After: the backoff (0.4 s ± 25%)", nil as String?, 0.28),
        ])
    func tooManyRequestsPausesEveryone(_ name: String, retryAfter: String?, atLeast: Double) async throws {
        let http = Self.registry { request, earlier in
            if request.url.contains("/v2/busy/") && earlier == 0 {
                return .init(status: 429, headers: retryAfter.map { [("Retry-After", $0)] } ?? [])
            }
            return .init(body: Self.manifest)
        }
        var policy = RetryPolicy.fast
        policy.baseDelay = 0.4
        policy.maximumDelay = 0.4
        policy.maximumRetryAfter = 0.4
        let transport = Self.transport(http, connections: 8, retry: policy)
        let told = try await transport.source("\(Self.host)/busy:1")
        let other = try await transport.source("\(Self.host)/other:1")
        let first = Task { try await told.rootManifest() }
        // Another worker asks as soon as the 429 has set the registry's pause (waiting for the request
        // to be sent is not enough: on a loaded machine the other worker could then go first).
        let asked = ContinuousClock.now
        let gate = transport.gate(for: told.name.registry)
        // The guard is long: with the whole suite running, `first` may wait many seconds for a thread.
        // A poll that missed the whole pause also ends the wait (the other request is then later still).
        func pauseSeenOrOver() -> Bool {
            if gate.remainingPause != nil { return true }
            guard let refused = http.sent.first(where: { $0.url.contains("/v2/busy/") }) else { return false }
            return ContinuousClock.now - refused.end > .seconds(1)
        }
        while !pauseSeenOrOver() && ContinuousClock.now - asked < .seconds(300) {
            try await Task.sleep(for: .milliseconds(1))
        }
        _ = try await other.rootManifest()
        _ = try await first.value
        let sent = http.sent
        let refused = try #require(sent.first { $0.url.contains("/v2/busy/") })
        let otherSent = try #require(sent.first { $0.url.contains("/v2/other/") })
        let waited = otherSent.start - refused.end
        #expect(waited >= .milliseconds(Int(atLeast * 1000)), "the other worker waited only \(waited)")
    }

    @Test("a request already queued for the slot when the 429 comes waits out the pause too")
    func queuedRequestWaitsOutThePause() async throws {
        let http = Self.registry(exchange: .milliseconds(50)) { request, earlier in
            request.url.contains("/v2/busy/") && earlier == 0
                ? .init(status: 429, headers: [("Retry-After", "1")]) : .init(body: Self.manifest)
        }
        var policy = RetryPolicy.fast
        policy.maximumRetryAfter = 0.3
        let transport = Self.transport(http, connections: 1, retry: policy)
        let told = try await transport.source("\(Self.host)/busy:1")
        let other = try await transport.source("\(Self.host)/other:1")
        let first = Task { try await told.rootManifest() }
        // Queued behind the first request's slot, before the 429 comes: so wait until the first holds
        // the slot (a fixed sleep is not enough on a loaded machine, where the other request could
        // then go first); the guard is long for the same reason.
        let gate = transport.gate(for: told.name.registry)
        let asked = ContinuousClock.now
        while gate.inFlight == 0 && !http.sent.contains(where: { $0.url.contains("/v2/busy/") })
            && ContinuousClock.now - asked < .seconds(300)
        {
            try await Task.sleep(for: .milliseconds(1))
        }
        _ = try await other.rootManifest()
        _ = try await first.value
        let sent = http.sent
        let refused = try #require(sent.first { $0.url.contains("/v2/busy/") })
        let otherSent = try #require(sent.first { $0.url.contains("/v2/other/") })
        #expect(
            otherSent.start - refused.end >= .milliseconds(280),
            "the queued request went out \(otherSent.start - refused.end) after the 429")
    }

    @Test("a registry's pause is bounded, whatever Retry-After says, and never shortened by a later one")
    func pauseBounded() throws {
        let gate = RegistryGate(registry: "r", capacity: 1, maximumPause: 0.5)
        gate.pause(for: 3600)
        let first = try #require(gate.remainingPause)
        #expect(first <= .milliseconds(500))
        gate.pause(for: 0.1)
        #expect(try #require(gate.remainingPause) > .milliseconds(300))
    }

    @Test("a streaming upload and its download take their slots together: crossed transfers between two one-slot registries finish")
    func streamingPairsDoNotDeadlock() async throws {
        let a = RegistryGate(registry: "a.example", capacity: 1)
        let b = RegistryGate(registry: "b.example", capacity: 1)
        let inFlight = InFlightCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                let (upload, download) = index.isMultiple(of: 2) ? (a, b) : (b, a)
                group.addTask {
                    try await RegistryGate.withStreamingSlots(upload: upload, download: download) {
                        // As in a streamed blob: the download runs in a task of its own and fills a
                        // pipe; the upload's exchange lasts until it has read everything.
                        let producer = Task {
                            try await download.withSlot { try await inFlight.exchange(download.registry, .milliseconds(2)) }
                        }
                        try await upload.withSlot {
                            try await inFlight.exchange(upload.registry, .milliseconds(1))
                            try await producer.value
                        }
                    }
                }
                // Plain requests too, competing for the same slots.
                group.addTask { try await a.withSlot { try await inFlight.exchange("a.example", .milliseconds(1)) } }
            }
            try await group.waitForAll()
        }
        #expect(inFlight.peak("a.example") == 1)
        #expect(inFlight.peak("b.example") == 1)
        #expect(a.inFlight == 0 && b.inFlight == 0)
    }

    @Test("on one registry of one slot an upload cannot stream from a download: it downloads first")
    func oneSlotDownloadsFirst() async throws {
        let http = Self.registry()
        let transport = Self.transport(http, connections: 1)
        let source = try await transport.source("\(Self.host)/app:1")
        let destination = try await transport.destination("\(Self.host)/copy:1")
        let opened = InFlightCounter()
        let origin = BlobOrigin(
            source: source,
            open: {
                opened.count("open")
                return MemoryReader([])
            },
            stream: {
                opened.count("stream")
                return MemoryReader([])
            })
        _ = try await destination.client.withUploadSlots(from: origin) { try await $0.stream() }
        #expect(opened.total("open") == 1 && opened.total("stream") == 0)
        #expect(transport.gate(for: Self.host).inFlight == 0)

        let roomy = Self.transport(Self.registry(), connections: 2)
        let streaming = try await roomy.destination("\(Self.host)/copy:1")
        let from = try await roomy.source("\(Self.host)/app:1")
        _ = try await streaming.client.withUploadSlots(
            from: BlobOrigin(
                source: from,
                open: {
                    opened.count("open")
                    return MemoryReader([])
                },
                stream: {
                    opened.count("stream")
                    return MemoryReader([])
                })
        ) {
            #expect(roomy.gate(for: Self.host).inFlight == 2, "both slots are taken before either request starts")
            return try await $0.stream()
        }
        #expect(opened.total("stream") == 1)
        #expect(roomy.gate(for: Self.host).inFlight == 0)
    }
}

/// ScriptedHTTP with exchanges that last: each one sleeps (without blocking a thread) and is
/// counted while in flight, with its start and end instants kept.
final class TimedHTTP: HTTPClient, @unchecked Sendable {
    struct Exchange {
        let url: String
        let start: ContinuousClock.Instant
        let end: ContinuousClock.Instant
    }

    private let scripted: ScriptedHTTP
    private let exchange: Duration
    private let lock = NSLock()
    private var current = 0
    private var highest = 0
    private var log: [Exchange] = []

    init(_ scripted: ScriptedHTTP, exchange: Duration) {
        self.scripted = scripted
        self.exchange = exchange
    }

    var peak: Int { lock.withLock { highest } }
    var requests: [HTTPRequest] { scripted.requests }
    var requestCount: Int { scripted.requests.count }
    var sent: [Exchange] { lock.withLock { log } }

    func send(_ request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        lock.withLock {
            current += 1
            highest = max(highest, current)
        }
        defer {
            lock.withLock {
                current -= 1
                log.append(Exchange(url: request.url, start: start, end: .now))
            }
        }
        try await Task.sleep(for: exchange)
        return try await scripted.send(request, bodyLimit: bodyLimit, sink: sink)
    }
}

/// Counts exchanges in flight per name, and anything else by name.
final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var current: [String: Int] = [:]
    private var highest: [String: Int] = [:]
    private var totals: [String: Int] = [:]

    func exchange(_ name: String, _ duration: Duration) async throws {
        lock.withLock {
            current[name, default: 0] += 1
            highest[name] = max(highest[name] ?? 0, current[name]!)
        }
        defer { lock.withLock { current[name]! -= 1 } }
        try await Task.sleep(for: duration)
    }

    func peak(_ name: String) -> Int { lock.withLock { highest[name] ?? 0 } }
    func count(_ name: String) { lock.withLock { totals[name, default: 0] += 1 } }
    func total(_ name: String) -> Int { lock.withLock { totals[name] ?? 0 } }
}
