import Foundation
import Testing

/// `--compression zstd`: the agent layer is a zstd layer of OCI images, checked with skopeo and the
/// system's zstd, and the patched image runs. Docker-family images are refused before any work.
@Suite("zstd agent layers")
struct ZstdAgentLayerTests {
    /// One platform's agent layer as skopeo reads it: skopeo copies that platform (verifying every
    /// blob, recompressing nothing) into a layout of its own, and its manifest must be the one the
    /// index lists. The layer is zstd, the base layers are as they were, the labels name the layer,
    /// and the system's zstd decompresses it to the config's last diff_id.
    static func checkAgentLayer(
        reference: String, index: Data, arch: FixtureArch, skopeoFlags: (String?) -> [String] = { _ in [] },
        in scratch: TempDirectory
    ) async throws {
        let single = scratch.appending("single-\(arch)")
        try await Oracles.skopeoCopy(from: reference, to: "oci:\(single):x", overrideArch: arch.rawValue, extra: skopeoFlags("src"))
        let raw = try await Oracles.skopeoInspectRaw("oci:\(single):x")
        let entry = try #require(try IndexDoc.decode(index).entry(arch))
        #expect(sha256Digest(raw) == entry.digest, "skopeo's \(arch) manifest is not the one the index lists")
        let manifest = try ManifestDoc.decode(raw)
        let agentLayer = try #require(manifest.layers.last)
        #expect(agentLayer.mediaType == MediaTypes.ociLayerZstd, "\(agentLayer)")
        // The source's own layers stay as they were (gzip): only the agent layer is zstd.
        let source = try await Fixtures.ready().summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
        #expect(manifest.layers.dropLast().map(\.layer) == source.layers)

        let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw("oci:\(single):x"))
        let labels = config.config.Labels ?? [:]
        #expect(labels["io.imagepatch.agent.layer.digest"] == agentLayer.digest)
        #expect(labels["io.imagepatch.agent.layer.size"] == String(agentLayer.size))
        #expect(labels["io.imagepatch.agent.layer"] == config.rootfs.diff_ids.last)

        let file = LayoutFiles(directory: single).blobPath(agentLayer.digest)
        #expect(sha256Digest(try Data(contentsOf: URL(fileURLWithPath: file))) == agentLayer.digest)
        let tar = try await ProcessRunner.check("zstd", ["-dc", file]).stdout
        #expect(sha256Digest(tar) == config.rootfs.diff_ids.last, "the decompressed layer is not the diff_id")
    }

    @Test("to oci:, every platform's agent layer is zstd, its digest and diff_id hold, and the image runs")
    func toLayout() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("zstd-agent") { tmp in
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "1"), agent: fixtures.oci("agent-oci", "7"),
                target: reference, extra: ["--compression", "zstd"])
            let index = try await Oracles.skopeoInspectRaw(reference)
            #expect(try IndexDoc.decode(index).manifests.count == 2)
            for arch in FixtureArch.allCases {
                try await Self.checkAgentLayer(reference: reference, index: index, arch: arch, in: tmp)
            }
            try await Oracles.skopeoCopyAll(reference)
            // umoci 0.4.7 cannot unpack zstd layers ("blob is not correct mediatype"): skopeo 1.9 decompresses
            // and re-gzips them on the way (`--dest-compress-format gzip`, checking their digests first).
            let bundle = tmp.appending("bundle")
            try await Oracles.unpack(reference: reference, bundle: bundle, arch: "amd64", recompressToGzip: true)
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }

    @Test("to a registry, the pushed agent layer is zstd, its digest and diff_id hold, and the image runs")
    func toRegistry() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let repository = uniqueRepository("zstd")
        let run = try await ImagePatchCLI.patch(
            source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7",
            target: "\(registry.host)/\(repository):1", json: true,
            extra: ["--compression", "zstd"])
        #expect(run.succeeded, "\(run)")
        let raw = try #require(try await registry.rawManifest("\(repository):1"))
        #expect(try Oracles.jsonObject(run.stdout)["digest"] as? String == sha256Digest(raw))
        let reference = "docker://\(registry.host)/\(repository):1"
        try await TempDirectory.with("zstd-registry") { scratch in
            for arch in FixtureArch.allCases {
                try await Self.checkAgentLayer(reference: reference, index: raw, arch: arch, skopeoFlags: registry.skopeoFlags, in: scratch)
            }
            // umoci cannot unpack zstd: skopeo re-gzips the layers on the way (see toLayout).
            let bundle = scratch.appending("bundle")
            try await Oracles.unpack(
                reference: reference, bundle: bundle, arch: "arm64", recompressToGzip: true,
                extraSkopeoFlags: registry.skopeoFlags("src"))
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }

    @Test("zstd for a Docker-family image is refused with one line, before any layer is built or anything written")
    func dockerFamilyRefused() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("zstd-docker") { tmp in
            let cache = tmp.appending("cache")
            let source = fixtures.oci("app-docker", "1")
            let run = try await ImagePatchCLI.patch(
                source: source, agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(tmp.appending("out")):p",
                extra: ["--compression", "zstd", "--cache-dir", cache])
            Expect.oneLineError(run, mentions: ["--compression", "zstd", source, "Docker"])
            Expect.nothingWritten(at: tmp.appending("out"))
            #expect(AgentLayerCacheTests.entries(cache).isEmpty, "a layer was built")
        }
    }

    @Test("an unknown --compression is refused with one line", arguments: ["lz4", "GZIP", ""])
    func unknownCompression(_ name: String) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("compression-flag") { tmp in
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "1"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(tmp.appending("out")):p", extra: ["--compression", name])
            Expect.oneLineError(run, mentions: ["--compression", name.debugDescription])
            Expect.nothingWritten(at: tmp.appending("out"))
        }
    }

    @Test("the cache keeps gzip and zstd layers apart: each is built once, and a second zstd run reuses its own")
    func cacheKeysDifferByCompression() async throws {
        try await TempDirectory.with("zstd-cache") { tmp in
            let cache = tmp.appending("cache")
            let gzip = try await AgentLayerCacheTests.patch(to: "oci:\(tmp.appending("gzip")):p", cache: cache)
            #expect(gzip.log.contains("built the agent layer"))
            let zstd = try await AgentLayerCacheTests.patch(
                to: "oci:\(tmp.appending("zstd")):p", cache: cache,
                extra: ["--compression", "zstd"])
            #expect(zstd.log.contains("built the agent layer"), "a gzip layer answered a zstd request: \(zstd.log)")
            #expect(!zstd.log.contains("using the cached agent layer"), "\(zstd.log)")
            #expect(AgentLayerCacheTests.entries(cache).count == 4, "one entry per platform and compression")
            #expect(Set(gzip.layers).isDisjoint(with: zstd.layers) && zstd.digest != gzip.digest)

            let again = try await AgentLayerCacheTests.patch(
                to: "oci:\(tmp.appending("zstd-again")):p", cache: cache,
                extra: ["--compression", "zstd"])
            #expect(!again.log.contains("built the agent layer"), "\(again.log)")
            #expect(again.log.contains("using the cached agent layer"))
            #expect(again.digest == zstd.digest && again.layers == zstd.layers)
            let gzipAgain = try await AgentLayerCacheTests.patch(to: "oci:\(tmp.appending("gzip-again")):p", cache: cache)
            #expect(!gzipAgain.log.contains("built the agent layer") && gzipAgain.digest == gzip.digest, "\(gzipAgain.log)")
            // The layer keys in the labels differ too, so a target patched with one is never reused for the other.
            let keys = try ["gzip", "zstd"].map { name -> String in
                let layout = LayoutFiles(directory: tmp.appending(name))
                let index = try layout.index(try layout.entry(tag: "p").digest)
                let manifest = try layout.manifest(try #require(index.entry(.amd64)).digest)
                return try #require(try layout.config(manifest.config.digest).config.Labels?["io.imagepatch.agent.layer.key"])
            }
            #expect(keys[0] != keys[1])
        }
    }
}
