import Foundation
import Testing

/// `inspect --json` tells patched platform images from unpatched ones.
@Suite("inspect --json")
struct InspectTests {
    @Test("a patched image reports its agent and preset for each platform")
    func patchedImage() async throws {
        let fixtures = try await Fixtures.ready()
        let image = try await MultiArchIndexTests.patched()
        let report = try await ImagePatchCLI.inspectJSON(image.reference)
        let platforms = try #require(report["platforms"] as? [[String: Any]])
        #expect(platforms.count == 2)
        let agentPlatformKeys: [FixtureArch: String] = [.amd64: "linux/amd64", .arm64: "linux/arm64"]
        for arch in FixtureArch.allCases {
            let entry = try #require(platforms.first { $0["platform"] as? String == arch.appPlatformKey })
            let patched = try #require(entry["patched"] as? [String: Any], "not reported as patched: \(entry)")
            #expect(patched["agent"] as? String == fixtures.oci("agent-oci", "7"))
            #expect(patched["preset"] as? String == "falcon")
            let agent = try fixtures.summary.manifest("agent-oci", "7", platform: agentPlatformKeys[arch])
            #expect(patched["agentDigest"] as? String == agent.digest)
        }
    }

    @Test("the unpatched source reports patched: null for each platform")
    func sourceImage() async throws {
        let fixtures = try await Fixtures.ready()
        let report = try await ImagePatchCLI.inspectJSON(fixtures.oci("app-oci", "1"))
        let platforms = try #require(report["platforms"] as? [[String: Any]])
        #expect(platforms.count == 2)
        for entry in platforms {
            #expect(entry["patched"] is NSNull, "\(entry)")
        }
    }
}
