import Foundation
import Testing

/// A target that already is the image a run would produce is left alone: nothing is pushed, and
/// the run says `up-to-date`.
@Suite("Registry: up-to-date targets")
struct UpToDateTests {
    @Test("patching again into the same tag pushes nothing and reports up-to-date; a new input patches again")
    func secondRunPushesNothing() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await TempDirectory.with("up-to-date") { tmp in
            let cache = tmp.appending("cache")
            let target = "\(proxy.host)/\(uniqueRepository("uptodate")):1"
            func patch(_ extra: [String] = []) async throws -> ProcessResult {
                try await ImagePatchCLI.patch(source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target,
                                              json: true, extra: ["--cache-dir", cache] + extra)
            }
            try await proxy.arm([])
            let first = try await patch()
            #expect(first.succeeded, "\(first)")
            #expect(try Oracles.jsonObject(first.stdout)["status"] as? String == "patched")

            try await proxy.arm([])  // resets the request log
            let second = try await patch()
            #expect(second.succeeded, "\(second)")
            let result = try Oracles.jsonObject(second.stdout)
            #expect(result["status"] as? String == "up-to-date")
            #expect(result["digest"] as? String == (try Oracles.jsonObject(first.stdout))["digest"] as? String)
            let writes = try await proxy.requests().filter { ["PUT", "POST", "PATCH", "DELETE"].contains($0.method) }
            #expect(writes.isEmpty, "an up-to-date run wrote: \(writes)")

            // Another setting gives another image: it is patched and pushed.
            let third = try await patch(["--env", "TEAM=web"])
            #expect(third.succeeded, "\(third)")
            #expect(try Oracles.jsonObject(third.stdout)["status"] as? String == "patched")

            let text = try await ImagePatchCLI.patch(source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target,
                                                     extra: ["--cache-dir", cache, "--env", "TEAM=web"])
            #expect(text.succeeded && text.stdoutLines.last?.hasPrefix("up-to-date \(target) sha256:") == true, "\(text)")
        }
    }
}
