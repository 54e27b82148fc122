import AdmissionWebhook
import Foundation
import JSON
import Synchronization
import TestTools
import Testing

/// The injector's image lookups behind the cache, as the real one is meant to use it: a miss takes
/// a while (a registry round trip), a hit does not.
struct CachedLookupInjector: PodMutating {
    let cache = BoundedTTLCache<String, String>(capacity: 256, timeToLive: .seconds(600))
    let lookups = Counter()

    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue {
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            guard let image = container["image"]?.stringValue else { continue }
            _ = try await cache.value(for: image) {
                lookups.increment()
                try await Task.sleep(for: .milliseconds(30))
                return "/docker-entrypoint.sh"
            }
        }
        return try await TestInjector().injectPod(pod, namespaceLabels: namespaceLabels)
    }
}

/// `scripts/webhook-load` against the in-process server: 400 reviews, 20 at a time. A benchmark, run
/// on demand (`WEBHOOK_LOAD=1 swift test --filter LoadCheck`); its figures are printed, not asserted.
@Suite struct LoadCheck {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["WEBHOOK_LOAD"] == "1"))
    func fourHundredReviewsTwentyAtATime() async throws {
        let injector = CachedLookupInjector()
        let server = try await TestServer.start(mutator: injector)
        defer { Task { await server.stop() } }
        let scratch = try TemporaryDirectory(label: "load")
        defer { scratch.remove() }
        try scratch.write("review.json", Fixtures.review().serialized())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try await Tools.run(
            "python3",
            [
                root.appendingPathComponent("scripts/webhook-load").path, "--url", "\(server.baseURL)/mutate",
                "--cacert", server.pki.caPath, "--review", scratch.file("review.json"), "--requests", "400", "--concurrency", "20",
            ])
        print(result.stdout, terminator: "")
        let serverSide = server.logs.reviews().compactMap { $0["ms"]?.stringValue.flatMap(Double.init) }.sorted()
        if !serverSide.isEmpty {
            let p99 = serverSide[max(0, Int((0.99 * Double(serverSide.count)).rounded(.up)) - 1)]
            print("server-side review ms: p50 \(serverSide[serverSide.count / 2]), p99 \(p99), max \(serverSide.last!)")
        }
        #expect(result.exitCode == 0, "\(result)")
        #expect(server.logs.reviews().count == 400)
        // Two distinct images: each read once, however many reviews ran at once.
        #expect(injector.lookups.value == 2)
    }
}
