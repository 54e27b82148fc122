import Foundation
import Testing

/// `--max-connections-per-registry` against the real registry, behind the fault proxy. The proxy
/// delays every request by `delay` before forwarding it, so each request lasts at least that
/// long; with at most N in flight, of any N + 1 requests the last finishes at least `delay` after
/// the first. The proxy records when each request finished, which is all this needs.
@Suite("Registry: connections per registry")
struct ConnectionLimitTests {
    static let delay = 0.1
    /// Timestamps are in milliseconds and taken after the answer went out: some slack.
    static let slack = 0.02

    /// The patch, killed after `seconds` so that a deadlock fails the test instead of hanging it.
    static func patch(_ arguments: [String], seconds: Int = 240) async throws -> ProcessResult {
        let cache = try TempDirectory(label: "cache")
        defer { cache.remove() }
        return try await ProcessRunner.run(
            "timeout", ["--signal=KILL", "\(seconds)", try RepositoryPaths.binary(), "patch"] + arguments,
            environment: ["SOURCE_DATE_EPOCH": nil, "XDG_CACHE_HOME": cache.path])
    }

    /// When each request the proxy forwarded finished, in order.
    static func finishTimes(_ proxy: FaultProxy) async throws -> [Double] {
        let stats = try await proxy.statistics()
        let entries = stats["requests"] as? [[String: Any]] ?? []
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return entries.filter { $0["via"] as? String == "proxy" }
            .compactMap { ($0["time"] as? String).flatMap(parser.date(from:))?.timeIntervalSince1970 }
            .sorted()
    }

    /// The most requests that finished within less than `delay` of each other: a lower bound on
    /// how many were in flight at once.
    static func crowdedFinishes(_ times: [Double]) -> Int {
        var most = times.isEmpty ? 0 : 1
        var first = 0
        for last in times.indices {
            while times[last] - times[first] >= delay - slack { first += 1 }
            most = max(most, last - first + 1)
        }
        return most
    }

    @Test(
        "with N connections per registry a patch succeeds and the registry never sees more than N requests at once",
        arguments: [1, 2])
    func boundedPatch(connections: Int) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await proxy.arm([["match": [:] as [String: String], "action": "delay", "seconds": Self.delay, "times": -1]])
        let repository = uniqueRepository("connections/app")
        let run = try await Self.patch([
            "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
            "--target", "\(proxy.host)/\(repository):1", "--cid", ImagePatchCLI.cid,
            "--jobs", "8", "--max-connections-per-registry", "\(connections)",
        ])
        #expect(run.succeeded, "\(run)")
        let times = try await Self.finishTimes(proxy)
        #expect(times.count >= 10, "the patch should have sent a good number of requests through the proxy")
        #expect(
            Self.crowdedFinishes(times) <= connections,
            "requests finished closer together than \(connections) at a time allows: \(times.map { String(format: "%.3f", $0 - times[0]) })"
        )
        try await TempDirectory.with("connections") { scratch in
            _ = try await registry.copyToLayout("\(repository):1", in: scratch)
        }
    }

    /// The measurement can see concurrency: without a tight bound, requests do overlap.
    @Test("the same patch with 8 connections has requests in flight together")
    func measurementSeesConcurrency() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await proxy.arm([["match": [:] as [String: String], "action": "delay", "seconds": Self.delay, "times": -1]])
        let run = try await Self.patch([
            "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
            "--target", "\(proxy.host)/\(uniqueRepository("connections/app")):1", "--cid", ImagePatchCLI.cid,
            "--jobs", "8", "--max-connections-per-registry", "8",
        ])
        #expect(run.succeeded, "\(run)")
        #expect(Self.crowdedFinishes(try await Self.finishTimes(proxy)) > 1)
    }

    /// Across registries a base layer streams from the source's download into the target's upload:
    /// two requests that depend on each other, each needing a slot on its own registry.
    @Test("across registries, one connection each: the streamed copy still finishes")
    func crossRegistryOneConnection() async throws {
        let source = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: source)
        defer { proxy.stop() }
        let target = try await RegistryServer.start(.plain, label: "connections-cross")
        let run = try await Self.patch([
            "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
            "--target", "\(target.host)/mirror/app:1", "--cid", ImagePatchCLI.cid,
            "--jobs", "8", "--max-connections-per-registry", "1",
        ])
        #expect(run.succeeded, "\(run)")
        let times = try await Self.finishTimes(proxy)
        #expect(times.count > 0)
        try await TempDirectory.with("connections-cross") { scratch in
            _ = try await target.copyToLayout("mirror/app:1", in: scratch)
        }
        await target.stop()
    }

    /// What is measured is when requests reach the proxy: every request but the refused one is
    /// delayed there by half a second, so it arrived half a second before the proxy recorded it.
    /// (When `imagepatch` hands a request to its HTTP client is not what matters: a request handed
    /// over just before the 429 may reach the wire a little later.) With 2 connections, at most
    /// one other request can be on its way when the 429 comes; without the shared pause, the
    /// other workers would go on sending a request every half second per slot.
    @Test("a 429 with Retry-After holds back every worker's requests to that registry, not only the one told")
    func tooManyRequestsSlowsEveryone() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        let delay = 0.5
        try await proxy.arm([
            [
                "match": ["method": "HEAD", "path_regex": "/blobs/sha256:"], "action": "status429", "times": 1,
                "retry_after": 2,
            ],
            ["match": [:] as [String: String], "action": "delay", "seconds": delay, "times": -1],
        ])
        let repository = uniqueRepository("connections/slow")
        let run = try await Self.patch([
            "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
            "--target", "\(proxy.host)/\(repository):1", "--cid", ImagePatchCLI.cid,
            "--jobs", "8", "--max-connections-per-registry", "2",
        ])
        #expect(run.succeeded, "\(run)")
        let stats = try await proxy.statistics()
        let entries = (stats["requests"] as? [[String: Any]] ?? []).filter { $0["via"] as? String == "proxy" }
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func finished(_ entry: [String: Any]) -> Double { parser.date(from: entry["time"] as? String ?? "")?.timeIntervalSince1970 ?? 0 }
        let refused = try #require(entries.first { $0["status"] as? Int == 429 })
        let told = finished(refused)
        let arrivals = entries.filter { $0["fault"] as? String == "delay" }.map { finished($0) - delay - told }
        // Upstream answers take a few milliseconds, which make an arrival look later: some slack.
        let duringPause = arrivals.filter { $0 > 0.1 && $0 < 1.9 }
        #expect(
            duringPause.count <= 1,
            "requests reached the registry during its pause (seconds after the 429): \(arrivals.sorted().map { String(format: "%.2f", $0) })"
        )
        #expect(arrivals.contains { $0 >= 1.9 }, "the patch went on after the pause")
    }

    @Test("--max-connections-per-registry out of range is refused", arguments: ["0", "257"])
    func outOfRange(value: String) async throws {
        let run = try await ImagePatchCLI.run(["inspect", "127.0.0.1:9/app:1", "--max-connections-per-registry=\(value)"])
        Expect.oneLineError(run, mentions: ["--max-connections-per-registry"])
    }
}
