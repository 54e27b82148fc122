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
                try await ImagePatchCLI.patch(
                    source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target,
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

            let text = try await ImagePatchCLI.patch(
                source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target,
                extra: ["--cache-dir", cache, "--env", "TEAM=web"])
            #expect(text.succeeded && text.stdoutLines.last?.hasPrefix("up-to-date \(target) sha256:") == true, "\(text)")
        }
    }
}

/// The target's own earlier patch records its agent layer: a new patch into that tag with the same
/// agent and settings (another option, another machine) takes the layer from there.
@Suite("Registry: agent layers recorded in the target")
struct TargetLayerRecordTests {
    @Test("a second patch into a patched tag, on a machine with an empty cache, builds no agent layer and uploads none")
    func layerTakenFromTheTarget() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await TempDirectory.with("target-record") { tmp in
            let repository = uniqueRepository("record")
            let target = "\(proxy.host)/\(repository):1"
            func patch(_ cache: String, _ extra: [String] = []) async throws -> ProcessResult {
                try await ImagePatchCLI.patch(
                    source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target, json: true,
                    extra: ["--cache-dir", tmp.appending(cache), "--verbose"] + extra)
            }
            let first = try await patch("machine-a")
            #expect(first.succeeded, "\(first)")
            try await proxy.arm([])
            let second = try await patch("machine-b", ["--env", "TEAM=web"])
            #expect(second.succeeded, "\(second)")
            #expect(!second.stderrText.contains("built the agent layer"), "\(second.stderrText)")
            #expect(second.stderrText.components(separatedBy: "recorded in the target").count - 1 == 2, "\(second.stderrText)")
            let result = try Oracles.jsonObject(second.stdout)
            #expect(result["status"] as? String == "patched")
            let launchers = (result["platforms"] as? [[String: Any]] ?? []).map { $0["launcher"] as? [String] ?? [] }
            let firstLaunchers = (try Oracles.jsonObject(first.stdout)["platforms"] as? [[String: Any]] ?? []).map {
                $0["launcher"] as? [String] ?? []
            }
            #expect(launchers == firstLaunchers && !launchers.isEmpty)
            // Only the two new configs were uploaded; the agent layers were already in the repository.
            let uploads = try await proxy.requests().filter { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") }
            #expect(uploads.count == 2, "\(uploads)")
            // The image is whole and runs.
            try await TempDirectory.with("target-record-run") { scratch in
                for arch in FixtureArch.allCases {
                    let bundle = scratch.appending("bundle-\(arch)")
                    try await Oracles.unpack(
                        reference: "docker://\(registry.host)/\(repository):1", bundle: bundle, arch: arch.rawValue,
                        extraSkopeoFlags: registry.skopeoFlags("src"))
                    Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
                }
            }
        }
    }
}

/// `--layer-cache`: a layer built on one machine is used by another, which shares no disk with it.
@Suite("Registry: the layer cache repository")
struct RegistryLayerCacheTests {
    @Test("a second machine (another cache dir) takes the layer from --layer-cache: no build, and a mount instead of an upload")
    func secondMachineUsesTheRegistryCache() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await TempDirectory.with("layer-cache") { tmp in
            let layers = "\(proxy.host)/\(uniqueRepository("layercache"))"
            func patch(_ name: String, cache: String) async throws -> ProcessResult {
                try await ImagePatchCLI.patch(
                    source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
                    target: "\(proxy.host)/\(uniqueRepository(name)):1", json: true,
                    extra: ["--cache-dir", tmp.appending(cache), "--layer-cache", layers, "--verbose"])
            }
            try await proxy.arm([])
            let first = try await patch("first", cache: "machine-a")
            #expect(first.succeeded, "\(first)")
            #expect(
                first.stderrText.contains("built the agent layer") && first.stderrText.contains("recorded the agent layer"),
                "\(first.stderrText)")
            let layerDigests = (try Oracles.jsonObject(first.stdout)["platforms"] as? [[String: Any]] ?? [])
                .compactMap { ($0["agentLayer"] as? [String: Any])?["digest"] as? String }
            #expect(layerDigests.count == 2)

            try await proxy.arm([])
            let second = try await patch("second", cache: "machine-b")
            #expect(second.succeeded, "\(second)")
            #expect(!second.stderrText.contains("built the agent layer"), "\(second.stderrText)")
            #expect(second.stderrText.components(separatedBy: "from the layer cache").count - 1 == 2, "\(second.stderrText)")
            #expect(
                (try Oracles.jsonObject(second.stdout)["platforms"] as? [[String: Any]] ?? [])
                    .compactMap { ($0["agentLayer"] as? [String: Any])?["digest"] as? String } == layerDigests)
            // The agent layers reached the new repository by mount: no byte of them was uploaded or downloaded.
            let moved = try await proxy.requests().filter { request in
                ["GET", "PUT", "PATCH"].contains(request.method) && layerDigests.contains { request.path.contains($0) }
            }
            #expect(moved.isEmpty, "agent layer bytes crossed the wire: \(moved)")
            // The record is an image skopeo can read.
            try await ProcessRunner.check(
                "skopeo",
                [
                    "inspect", "--raw", "--tls-verify=false",
                    "docker://\(layers.replacingOccurrences(of: proxy.host, with: registry.host)):\(try Self.firstKey(second.stderrText))",
                ])
        }
    }

    /// The first `REPO:KEY` named in a log.
    static func firstKey(_ log: String) throws -> String {
        let range = try #require(log.range(of: #"layer cache [^ ]+:([0-9a-f]{64})"#, options: .regularExpression))
        return String(String(log[range]).suffix(64))
    }

    @Test(
        "--layer-cache that is not a repository is refused with one line",
        arguments: ["r.example/x:tag", "r.example/x@sha256:" + String(repeating: "0", count: 64), "127.0.0.1:5000"])
    func badLayerCache(value: String) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("layer-cache-bad") { tmp in
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "1"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(tmp.appending("out")):p", extra: ["--layer-cache", value])
            Expect.oneLineError(run, mentions: ["--layer-cache"])
        }
    }
}
