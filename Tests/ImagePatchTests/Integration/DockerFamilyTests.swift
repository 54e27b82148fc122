import Foundation
import Testing

/// A source with Docker media types (`app-docker:1`, a manifest list of v2 manifests) keeps them.
@Suite("Docker media type family")
struct DockerFamilyTests {
    @Test("written to oci:, the output is a Docker manifest list of Docker v2 manifests")
    func dockerListToLayout() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("docker-family") { tmp in
            let layout = tmp.appending("out")
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-docker", "1"),
                agent: fixtures.oci("agent-oci", "7"), target: "oci:\(layout):p")
            let files = LayoutFiles(directory: layout)
            let entry = try files.entry(tag: "p")
            #expect(entry.mediaType == MediaTypes.dockerList)
            let index = try files.index(entry.digest)
            #expect(index.mediaType == MediaTypes.dockerList)
            #expect(index.manifests.count == 2)

            for arch in FixtureArch.allCases {
                let source = try fixtures.summary.manifest("app-docker", "1", platform: arch.appPlatformKey)
                let descriptor = try #require(index.entry(arch))
                #expect(descriptor.mediaType == MediaTypes.dockerManifest)
                let manifest = try files.manifest(descriptor.digest)
                #expect(manifest.mediaType == MediaTypes.dockerManifest)
                #expect(manifest.config.mediaType == MediaTypes.dockerConfig)
                #expect(manifest.layers.count == source.layers.count + 1)
                #expect(manifest.layers.dropLast().map(\.layer) == source.layers)
                #expect(manifest.layers.last?.mediaType == MediaTypes.dockerLayerGzip)
            }

            // skopeo 1.9 reads a Docker list in an oci: layout only through a relabelled index.json.
            let view = try Oracles.skopeoView(of: layout, in: tmp.path)
            #expect(view != layout)
            let raw = try await Oracles.skopeoInspectRaw("oci:\(view):p")
            #expect(sha256Digest(raw) == entry.digest)
            #expect(try Oracles.jsonObject(raw)["mediaType"] as? String == MediaTypes.dockerList)
            try await Oracles.skopeoCopyAll("oci:\(view):p")
            for arch in FixtureArch.allCases {
                let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw("oci:\(view):p", overrideArch: arch.rawValue))
                #expect(config.architecture == arch.rawValue)
                #expect(config.config.Entrypoint == arch.falconLauncher + ["/app/run.sh"])
            }
        }
    }

    @Test(
        "--platform with a docker-archive: target gives an archive skopeo reads, and it runs",
        arguments: FixtureArch.allCases)
    func dockerArchiveTarget(_ arch: FixtureArch) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("docker-archive-out") { tmp in
            let archive = tmp.appending("out.tar")
            let reference = "docker-archive:\(archive)"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-docker", "1"), agent: fixtures.oci("agent-oci", "7"),
                target: "\(reference):example.invalid/app:patched",
                extra: ["--platform", "linux/\(arch.rawValue)"])

            let summary = try await Oracles.skopeoInspect(reference)
            #expect(summary["Architecture"] as? String == arch.rawValue)
            let source = try fixtures.summary.manifest("app-docker", "1", platform: arch.appPlatformKey)
            let layers = try #require(summary["Layers"] as? [String])
            #expect(layers.count == source.diffIds.count + 1)
            #expect(Array(layers.prefix(source.diffIds.count)) == source.diffIds)
            #expect((summary["Env"] as? [String])?.contains("FALCONCTL_OPTS=--cid=\(ImagePatchCLI.cid)") == true)

            let manifestJSON = try await ProcessRunner.check("tar", ["-xOf", archive, "manifest.json"]).stdout
            let entries = try #require(try JSONSerialization.jsonObject(with: manifestJSON) as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["RepoTags"] as? [String] == ["example.invalid/app:patched"])

            let bundle = tmp.appending("bundle")
            try await Oracles.unpack(reference: reference, bundle: bundle, arch: arch.rawValue)
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }
}
