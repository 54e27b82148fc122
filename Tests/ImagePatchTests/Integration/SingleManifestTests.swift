import Foundation
import Testing

/// A tag naming one manifest (`app-oci:single`) is patched into one manifest, not an index.
@Suite("Single manifest in, single manifest out")
struct SingleManifestTests {
    @Test("the output root is an OCI manifest with the source layers plus the agent layer, and it runs")
    func singleManifest() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("single") { tmp in
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "single"),
                agent: fixtures.oci("agent-oci", "7"), target: reference)

            let entry = try LayoutFiles(directory: layout).entry(tag: "p")
            #expect(entry.mediaType == MediaTypes.ociManifest)
            let raw = try await Oracles.skopeoInspectRaw(reference)
            #expect(sha256Digest(raw) == entry.digest)
            let object = try Oracles.jsonObject(raw)
            #expect(object["manifests"] == nil, "a single manifest must not become an index")
            let manifest = try ManifestDoc.decode(raw)
            #expect(manifest.mediaType == MediaTypes.ociManifest)

            let source = try fixtures.summary.manifest("app-oci", "single")
            #expect(manifest.layers.count == source.layers.count + 1)
            #expect(manifest.layers.dropLast().map(\.layer) == source.layers)
            #expect(manifest.layers.last?.mediaType == MediaTypes.ociLayerGzip)
            #expect(manifest.annotations?["org.opencontainers.image.base.digest"] == source.digest)

            try await Oracles.skopeoCopyAll(reference)
            let bundle = tmp.appending("bundle")
            try await Oracles.umociUnpack(layout: layout, tag: "p", bundle: bundle, arch: "amd64")
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }
}
