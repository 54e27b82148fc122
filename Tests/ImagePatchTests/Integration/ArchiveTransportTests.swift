import Foundation
import Testing

/// A bzip2-compressed `docker save` archive as the agent, an oci-archive: as the target.
@Suite("Archive transports")
struct ArchiveTransportTests {
    @Test("docker-archive agent (.tar.bz2) with --platform, written to oci-archive:, is readable and runs")
    func dockerArchiveAgentToOCIArchive() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("archives") { tmp in
            let archive = tmp.appending("out.tar")
            let reference = "oci-archive:\(archive):p"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "1"),
                agent: "docker-archive:\(fixtures.agentDockerBz2)",
                target: reference, extra: ["--platform", "linux/amd64"])

            let summary = try await Oracles.skopeoInspect(reference)
            #expect(summary["Architecture"] as? String == "amd64")
            let source = try fixtures.summary.manifest("app-oci", "1", platform: "linux/amd64")
            let layers = try #require(summary["Layers"] as? [String])
            #expect(layers.count == source.layers.count + 1)
            #expect(Array(layers.prefix(source.layers.count)) == source.layers.map(\.digest))

            let root = try IndexDoc.decode(try await Oracles.skopeoInspectRaw(reference))
            #expect(root.manifests.count == 1)
            #expect(root.manifests.first?.platform?.architecture == "amd64")

            let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw(reference))
            #expect(config.config.Entrypoint == FixtureArch.amd64.falconLauncher + ["/app/run.sh"])
            // The same agent read from a docker archive gives the same agent layer as from the OCI layout.
            let viaLayout = try await MultiArchIndexTests.patched()
            let layoutConfig = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw(viaLayout.reference, overrideArch: "amd64"))
            #expect(config.rootfs.diff_ids.last == layoutConfig.rootfs.diff_ids.last)

            try await Oracles.skopeoCopyAll(reference)
            let bundle = tmp.appending("bundle")
            try await Oracles.unpack(reference: reference, bundle: bundle, arch: "amd64")
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }
}
