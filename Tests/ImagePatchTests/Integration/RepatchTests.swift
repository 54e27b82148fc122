import Foundation
import Testing

/// Patching an image that is already patched: refused, unless --repatch, which replaces the agent layer.
@Suite("Already patched images")
struct RepatchTests {
    @Test("patching a patched image fails with one line naming --repatch, and writes nothing")
    func refusesWithoutRepatch() async throws {
        let fixtures = try await Fixtures.ready()
        let patched = try await MultiArchIndexTests.patched()
        try await TempDirectory.with("already-patched") { tmp in
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: patched.reference, agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: ["already patched", "--repatch"])
            Expect.nothingWritten(at: target)
        }
    }

    @Test("--repatch replaces the agent layer: source layers + 1, launcher once, and it runs")
    func repatchReplacesAgentLayer() async throws {
        let fixtures = try await Fixtures.ready()
        let patched = try await MultiArchIndexTests.patched()
        try await TempDirectory.with("repatch") { tmp in
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            try await ImagePatchCLI.patchOrThrow(
                source: patched.reference, agent: fixtures.oci("agent-oci", "7"),
                target: reference, extra: ["--repatch"])
            let files = LayoutFiles(directory: layout)
            let index = try files.index(files.entry(tag: "p").digest)
            #expect(index.manifests.count == 2)
            for arch in FixtureArch.allCases {
                let source = try fixtures.summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
                let manifest = try files.manifest(try #require(index.entry(arch)).digest)
                #expect(manifest.layers.count == source.layers.count + 1)
                #expect(manifest.layers.dropLast().map(\.layer) == source.layers)
                let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw(reference, overrideArch: arch.rawValue))
                #expect(config.rootfs.diff_ids.count == source.diffIds.count + 1)
                let entrypoint = config.config.Entrypoint ?? []
                #expect(entrypoint == arch.falconLauncher + ["/app/run.sh"])
                #expect(entrypoint.filter { $0 == arch.falconLauncher[0] }.count == 1)
                #expect(config.config.Cmd == ["hello"])
            }
            try await Oracles.skopeoCopyAll(reference)

            let bundle = tmp.appending("bundle")
            try await Oracles.umociUnpack(layout: layout, tag: "p", bundle: bundle, arch: "amd64")
            let run = try await Oracles.runPatchedEntrypoint(bundle: bundle)
            Expect.agentStartedBeforeApp(run)
            #expect(run.stdoutLines.filter { $0.hasPrefix("falcon-sensor: started") }.count == 1, "\(run)")
        }
    }
}
