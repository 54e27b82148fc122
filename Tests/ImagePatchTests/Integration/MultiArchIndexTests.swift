import Foundation
import Testing

/// `oci:app-oci:1` (amd64 + arm64/v8 + an attestation) patched with `oci:agent-oci:7`: the index,
/// manifests and configs, read back with skopeo and from the layout's files.
@Suite("Multi-arch OCI index: index, manifests, configs")
struct MultiArchIndexTests {
    static func patched() async throws -> PatchedImage {
        let image = try await SharedImages.multiArch()
        try #require(image.run.exitCode == 0, "patch failed: \(image.run)")
        return image
    }

    @Test("patch exits 0 and writes the tag")
    func patchSucceeds() async throws {
        let image = try await SharedImages.multiArch()
        #expect(image.run.exitCode == 0, "\(image.run)")
        #expect(FileManager.default.fileExists(atPath: image.layout + "/index.json"))
        #expect(try image.files.entry(tag: image.tag).mediaType == MediaTypes.ociIndex)
    }

    @Test("the index holds exactly the two images, the attestation is dropped, annotations kept")
    func indexShape() async throws {
        let fixtures = try await Fixtures.ready()
        let image = try await Self.patched()
        let raw = try await Oracles.skopeoInspectRaw(image.reference)
        let index = try IndexDoc.decode(raw)
        #expect(index.mediaType == MediaTypes.ociIndex)
        #expect(index.manifests.count == 2)
        #expect(index.manifests.map(\.mediaType) == [MediaTypes.ociManifest, MediaTypes.ociManifest])
        #expect(Set(index.manifests.compactMap { $0.platform?.architecture }) == ["amd64", "arm64"])
        #expect(!index.manifests.contains { $0.platform?.architecture == "unknown" })

        let source = try fixtures.summary.tag("app-oci", "1")
        let attestation = try #require(source.attestation)
        #expect(!index.manifests.contains { $0.digest == attestation.digest })
        let sourceIndex = try LayoutFiles(directory: fixtures.appOCI).index(source.digest)
        #expect(sourceIndex.annotations?.isEmpty == false)
        #expect(index.annotations == sourceIndex.annotations)

        #expect(try image.files.entry(tag: image.tag).digest == sha256Digest(raw))
        try await Oracles.skopeoCopyAll(image.reference)
    }

    @Test(
        "each manifest: source layers unchanged and in order, one new gzip layer, base digest annotation",
        arguments: FixtureArch.allCases)
    func platformManifest(_ arch: FixtureArch) async throws {
        let fixtures = try await Fixtures.ready()
        let image = try await Self.patched()
        let source = try fixtures.summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
        let index = try image.files.index(image.files.entry(tag: image.tag).digest)
        let entry = try #require(index.entry(arch))
        #expect(entry.platform == PlatformDoc(architecture: arch.rawValue, os: "linux", variant: arch == .arm64 ? "v8" : nil))
        let manifest = try image.files.manifest(entry.digest)

        #expect(manifest.mediaType == MediaTypes.ociManifest)
        #expect(manifest.config.mediaType == MediaTypes.ociConfig)
        #expect(manifest.layers.count == source.layers.count + 1)
        #expect(manifest.layers.dropLast().map(\.layer) == source.layers)
        let agentLayer = try #require(manifest.layers.last)
        #expect(agentLayer.mediaType == MediaTypes.ociLayerGzip)
        #expect(!source.layers.contains { $0.digest == agentLayer.digest })
        #expect(image.files.hasBlob(agentLayer.digest))
        #expect(manifest.annotations?["org.opencontainers.image.base.digest"] == source.digest)
    }

    @Test(
        "each config: unknown fields byte-for-byte, one more diff_id, launcher and falcon environment",
        arguments: FixtureArch.allCases)
    func platformConfig(_ arch: FixtureArch) async throws {
        let fixtures = try await Fixtures.ready()
        let image = try await Self.patched()
        let source = try fixtures.summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
        let raw = try await Oracles.skopeoConfigRaw(image.reference, overrideArch: arch.rawValue)
        let text = String(decoding: raw, as: UTF8.self)
        // "2.50" spelled as in the source, "b" before "a": the config is edited, not re-serialised from a model.
        #expect(text.contains(#""x-imagepatch-test":{"keep":[1,2.50,"x"],"nested":{"b":1,"a":2}}"#), "\(text)")

        let config = try ConfigDoc.decode(raw)
        #expect(config.architecture == arch.rawValue)
        #expect(config.config.xInner == true)
        #expect(config.rootfs.diff_ids.count == source.diffIds.count + 1)
        #expect(Array(config.rootfs.diff_ids.prefix(source.diffIds.count)) == source.diffIds)
        let env = config.config.Env ?? []
        #expect(env.contains("FALCONCTL_OPTS=--cid=\(ImagePatchCLI.cid)"))
        #expect(env.contains("CS_CLOUD_SERVICE=ECS_FARGATE"))
        #expect(env.contains("__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs"))
        #expect(env.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
        #expect(config.config.Entrypoint == arch.falconLauncher + ["/app/run.sh"])
        #expect(config.config.Cmd == ["hello"])

        // The config skopeo picked is the one the manifest names, and the new diff_id is the
        // sha256 of the new layer's uncompressed tar (decompressed here by gzip, not by imagepatch).
        let index = try image.files.index(image.files.entry(tag: image.tag).digest)
        let manifest = try image.files.manifest(try #require(index.entry(arch)).digest)
        #expect(manifest.config.digest == sha256Digest(raw))
        let agentLayer = try #require(manifest.layers.last)
        let tar = try await ProcessRunner.check("gzip", ["-dc", image.files.blobPath(agentLayer.digest)]).stdout
        #expect(config.rootfs.diff_ids.last == sha256Digest(tar))
    }
}
