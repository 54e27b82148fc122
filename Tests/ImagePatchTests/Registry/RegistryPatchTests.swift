import Foundation
import Testing

/// Registry to registry on the real distribution registry, checked with skopeo and by running
/// the patched entrypoint; the proxy counts what crosses the wire.
@Suite("Registry: patch from and to a registry")
struct RegistryPatchTests {
    @Test("same registry, other repository: base layers are mounted, never downloaded or uploaded")
    func sameRegistryMovesOnlyAgentBytes() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        try await proxy.arm([])
        let repository = uniqueRepository("protected/app")
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
            target: "\(proxy.host)/\(repository):1", json: true)
        #expect(run.succeeded, "\(run)")
        let result = try Oracles.jsonObject(run.stdout)

        let base = try await SharedRegistry.baseLayerDigests()
        let requests = try await proxy.requests()
        let moved = requests.filter { request in
            ["GET", "PUT", "PATCH"].contains(request.method) && base.contains { request.path.contains($0) }
        }
        #expect(moved.isEmpty, "base layer bytes crossed the wire: \(moved)")
        // A mount answers 201 to the POST; an ordinary upload session starts with 202.
        let mounts = requests.filter { $0.method == "POST" && $0.path.hasSuffix("/blobs/uploads/") && $0.status == 201 }
        #expect(mounts.count == base.count, "every distinct base layer is mounted once: \(mounts)")
        let stats = try await proxy.statistics()
        let uploaded = (stats["blob_body_bytes"] as? [String: Int] ?? [:])["PUT"] ?? 0
        let agentLayerBytes = (result["platforms"] as? [[String: Any]] ?? [])
            .compactMap { ($0["agentLayer"] as? [String: Any])?["size"] as? Int }.reduce(0, +)
        #expect(
            uploaded >= agentLayerBytes && uploaded < agentLayerBytes + 64 << 10,
            "uploads are the agent layers and the configs only: \(uploaded) bytes for \(agentLayerBytes) of agent layers")

        // Independent checks: skopeo reads what was pushed, by the digest the JSON reported.
        let raw = try #require(try await registry.rawManifest("\(repository):1"))
        #expect(result["digest"] as? String == sha256Digest(raw))
        try await TempDirectory.with("registry-run") { scratch in
            _ = try await registry.copyToLayout("\(repository):1", in: scratch)
            for arch in FixtureArch.allCases {
                let bundle = scratch.appending("bundle-\(arch)")
                try await Oracles.unpack(
                    reference: "docker://\(registry.host)/\(repository):1", bundle: bundle, arch: arch.rawValue,
                    extraSkopeoFlags: registry.skopeoFlags("src"))
                Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
            }
        }
    }

    @Test("same repository: base layers are already there and are skipped")
    func sameRepositorySkipsBaseLayers() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        try await proxy.arm([])
        let tag = uniqueRepository("protected")
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
            target: "\(proxy.host)/app:\(tag)")
        #expect(run.succeeded, "\(run)")
        let base = try await SharedRegistry.baseLayerDigests()
        let requests = try await proxy.requests()
        #expect(!requests.contains { request in request.method != "HEAD" && base.contains { request.path.contains($0) } })
        #expect(try await registry.rawManifest("app:\(tag)") != nil)
        #expect(try await registry.rawManifest("app:1") != nil, "the source tag is untouched")
    }

    @Test("--dry-run reports mounts and uploads and pushes nothing")
    func dryRun() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let repository = uniqueRepository("dry")
        let run = try await ImagePatchCLI.patch(
            source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7",
            target: "\(registry.host)/\(repository):1", json: true, extra: ["--dry-run"])
        #expect(run.succeeded, "\(run)")
        let blobs = try Oracles.jsonObject(run.stdout)["blobs"] as? [[String: Any]] ?? []
        let actions = Set(blobs.compactMap { $0["action"] as? String })
        #expect(actions == ["mount", "upload"])
        #expect(try await registry.rawManifest("\(repository):1") == nil)
    }

    @Test("a target pinned to another digest is refused and nothing is tagged")
    func pinnedTargetDigest() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let repository = uniqueRepository("pinned")
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        let run = try await ImagePatchCLI.patch(
            source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7",
            target: "\(registry.host)/\(repository):1@\(wrong)")
        Expect.oneLineError(run, mentions: [wrong])
        #expect(try await registry.rawManifest("\(repository):1") == nil)
    }

    @Test("any mix of transports: registry source with a docker-archive agent into an OCI layout, and back")
    func mixedTransports() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("mix") { scratch in
            let layout = scratch.appending("out")
            try await ImagePatchCLI.patchOrThrow(
                source: "docker://\(registry.host)/app:1",
                agent: "docker-archive:\(fixtures.agentDockerBz2)",
                target: "oci:\(layout):p", extra: ["--platform", "linux/amd64"])
            let repository = uniqueRepository("from-layout")
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "cmd-only"),
                agent: "\(registry.host)/agent:7",
                target: "\(registry.host)/\(repository):1")
            _ = try await registry.copyToLayout("\(repository):1", in: scratch)
            let bundle = scratch.appending("bundle")
            try await Oracles.unpack(reference: "oci:\(layout):p", bundle: bundle, arch: "amd64")
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }

    @Test("across registries the base layers travel, and the image is whole on the other side")
    func crossRegistry() async throws {
        let source = try await SharedRegistry.shared.plain()
        let other = try await RegistryServer.start(.plain, label: "second")
        defer { Task { await other.stop() } }
        let run = try await ImagePatchCLI.patch(
            source: "\(source.host)/app:1", agent: "\(source.host)/agent:7",
            target: "\(other.host)/mirror/app:1")
        #expect(run.succeeded, "\(run)")
        try await TempDirectory.with("cross") { scratch in
            let layout = try await other.copyToLayout("mirror/app:1", in: scratch)
            let bundle = scratch.appending("bundle")
            try await Oracles.unpack(reference: "oci:\(layout):x", bundle: bundle, arch: "arm64")
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
        await other.stop()
    }
}
