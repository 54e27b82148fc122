import Foundation
import Testing

/// `patch --json`: the result document matches what was written, as skopeo reads it.
@Suite("patch --json")
struct PatchJSONOutputTests {
    @Test("the result names the target, the root digest skopeo sees, and each platform's digests")
    func resultMatchesOutput() async throws {
        let fixtures = try await Fixtures.ready()
        let image = try await MultiArchIndexTests.patched()
        let result = try Oracles.jsonObject(image.run.stdout)

        #expect(result["target"] as? String == image.reference)
        let raw = try await Oracles.skopeoInspectRaw(image.reference)
        #expect(result["digest"] as? String == sha256Digest(raw))
        #expect(result["mediaType"] as? String == MediaTypes.ociIndex)

        let platforms = try #require(result["platforms"] as? [[String: Any]])
        #expect(platforms.count == 2)
        let index = try IndexDoc.decode(raw)
        for arch in FixtureArch.allCases {
            let entry = try #require(
                platforms.first { $0["platform"] as? String == arch.appPlatformKey },
                "no platform \(arch.appPlatformKey) in \(platforms)")
            let source = try fixtures.summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
            #expect(entry["sourceDigest"] as? String == source.digest)
            let written = try #require(index.entry(arch))
            #expect(entry["digest"] as? String == written.digest)

            let manifest = try image.files.manifest(written.digest)
            let config = try image.files.config(manifest.config.digest)
            let layer = try #require(entry["agentLayer"] as? [String: Any])
            #expect(layer["digest"] as? String == manifest.layers.last?.digest)
            #expect(layer["diffID"] as? String == config.rootfs.diff_ids.last)
            #expect((layer["size"] as? NSNumber)?.intValue == manifest.layers.last?.size)
        }
    }

    @Test("stdout holds only the JSON document")
    func stdoutIsOnlyJSON() async throws {
        let image = try await MultiArchIndexTests.patched()
        let text = image.run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.hasPrefix("{") && text.hasSuffix("}"))
        #expect(!image.run.stdoutText.contains("imagepatch:"), "log lines belong on stderr")
    }
}
