import Foundation
import Testing

/// `app-oci:cmd-only`: no Entrypoint, Cmd holds the program, and the image runs as uid 1000.
@Suite("Cmd-only image with a non-root user")
struct CmdOnlyUserTests {
    @Test(
        "Entrypoint becomes exactly the launcher, Cmd is unchanged, and it runs as uid 1000",
        arguments: FixtureArch.allCases)
    func cmdOnly(_ arch: FixtureArch) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("cmd-only") { tmp in
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "cmd-only"),
                agent: fixtures.oci("agent-oci", "7"), target: reference)
            let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw(reference, overrideArch: arch.rawValue))
            #expect(config.config.Entrypoint == arch.falconLauncher)
            #expect(config.config.Entrypoint?.count == 5)
            #expect(config.config.Cmd == ["/app/run.sh", "hello"])
            #expect(config.config.User == "1000:1000")

            try await Oracles.skopeoCopyAll(reference)
            let bundle = tmp.appending("bundle")
            try await Oracles.umociUnpack(layout: layout, tag: "p", bundle: bundle, arch: arch.rawValue)
            let spec = try RuntimeSpec.read(bundle: bundle)
            #expect(spec.process.user.uid == 1000)
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle), uid: 1000)
        }
    }
}
