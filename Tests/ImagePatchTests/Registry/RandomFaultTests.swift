import Foundation
import Testing

/// The proxy's random mode at 20% in front of both registries of a cross-registry, 2-platform
/// patch: 500, 503, 429 with Retry-After, a connection closed without a reply, a body cut short
/// and a flipped blob byte, on any request (the API check, manifests, blobs, uploads, the tag).
/// Retries must carry at least 19 of 20 fixed seeds through; a run that fails says so in one
/// line, and no run leaves the target tag pointing at an image skopeo cannot copy.
@Suite("Registry: random faults at 20%")
struct RandomFaultTests {
    static let seeds = Array(1...20)
    static let rate = 0.2
    /// Runs at once: each is mostly waiting (backoff, Retry-After), not computing.
    static let parallelRuns = 4

    struct Outcome: Sendable {
        let seed: Int
        let succeeded: Bool
        let faults: Int
        let summary: String
    }

    @Test("19 of 20 seeds succeed; every failure is one line; no tag is left broken")
    func twentyPercent() async throws {
        let source = try await SharedRegistry.shared.plain()
        let target = try await RegistryServer.start(.plain, label: "random-target")
        var outcomes: [Outcome] = []
        do {
            outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                var pending = Self.seeds[...]
                var results: [Outcome] = []
                for _ in 0..<Self.parallelRuns {
                    if let seed = pending.popFirst() { group.addTask { try await Self.run(seed: seed, source: source, target: target) } }
                }
                while let outcome = try await group.next() {
                    results.append(outcome)
                    if let seed = pending.popFirst() { group.addTask { try await Self.run(seed: seed, source: source, target: target) } }
                }
                return results
            }
        } catch {
            await target.stop()
            throw error
        }
        await target.stop()
        let succeeded = outcomes.filter(\.succeeded).count
        let report = outcomes.sorted { $0.seed < $1.seed }.map(\.summary).joined(separator: "\n")
        #expect(outcomes.count == Self.seeds.count)
        #expect(succeeded >= 19, "\(succeeded) of \(outcomes.count) runs succeeded:\n\(report)")
        #expect(outcomes.allSatisfy { $0.faults > 0 }, "every run met faults:\n\(report)")
        print("random faults at \(Int(Self.rate * 100))%: \(succeeded)/\(outcomes.count) runs succeeded\n\(report)")
    }

    static func run(seed: Int, source: RegistryServer, target: RegistryServer) async throws -> Outcome {
        let sourceProxy = try await FaultProxy.start(in: source)
        let targetProxy = try await FaultProxy.start(in: target)
        defer {
            sourceProxy.stop()
            targetProxy.stop()
        }
        try await sourceProxy.armRandom(p: rate, seed: seed)
        try await targetProxy.armRandom(p: rate, seed: 1000 + seed)
        let repository = "random/app-\(seed)-\(UUID().uuidString.prefix(6).lowercased())"
        let run = try await ImagePatchCLI.patch(
            source: "\(sourceProxy.host)/app:1", agent: "\(sourceProxy.host)/agent:7",
            target: "\(targetProxy.host)/\(repository):1", json: true)
        var kinds: [String: Int] = [:]
        for proxy in [sourceProxy, targetProxy] {
            for fault in try await proxy.statistics()["faults_injected"] as? [[String: Any]] ?? [] {
                kinds[fault["action"] as? String ?? "?", default: 0] += 1
            }
        }
        let faults = kinds.values.reduce(0, +)
        let mix = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let tag = "\(repository):1"
        if run.succeeded {
            let raw = try #require(try await target.rawManifest(tag), "seed \(seed): a successful run wrote no tag")
            #expect(try Oracles.jsonObject(run.stdout)["digest"] as? String == sha256Digest(raw), "seed \(seed)")
        } else {
            Expect.oneLineError(run, mentions: [])
        }
        // Whatever happened, the tag is absent or names an image whose every blob is there and right.
        if try await target.rawManifest(tag) != nil {
            try await TempDirectory.with("random-fault") { scratch in
                _ = try await target.copyToLayout(tag, in: scratch)
            }
        }
        let line = run.succeeded ? "ok" : (run.stderrLines.last ?? "")
        return Outcome(seed: seed, succeeded: run.succeeded, faults: faults, summary: "seed \(seed): \(faults) faults (\(mix)): \(line)")
    }
}
