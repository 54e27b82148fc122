import Foundation
import Testing

/// `app-oci:zstd`: base layers compressed with zstd are carried over as they are.
@Suite("zstd base layers")
struct ZstdLayerTests {
    @Test("zstd base layers are copied byte-identical and keep their media type; the image runs")
    func zstdLayersCopied() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("zstd") { tmp in
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "zstd"),
                agent: fixtures.oci("agent-oci", "7"), target: reference)
            let files = LayoutFiles(directory: layout)
            let sourceFiles = LayoutFiles(directory: fixtures.appOCI)
            let index = try files.index(files.entry(tag: "p").digest)
            #expect(index.manifests.count == 2)

            for arch in FixtureArch.allCases {
                let source = try fixtures.summary.manifest("app-oci", "zstd", platform: arch.appPlatformKey)
                #expect(source.layers.allSatisfy { $0.mediaType == MediaTypes.ociLayerZstd })
                let manifest = try files.manifest(try #require(index.entry(arch)).digest)
                #expect(manifest.layers.dropLast().map(\.layer) == source.layers)
                #expect(manifest.layers.last?.mediaType == MediaTypes.ociLayerGzip)
                for layer in source.layers {
                    // `blob` re-hashes the file, so equal digests mean equal bytes.
                    #expect(try files.blob(layer.digest) == sourceFiles.blob(layer.digest))
                }
            }

            try await Oracles.skopeoCopyAll(reference)
            // umoci 0.4.7 refuses +zstd layers ("blob is not correct mediatype"), so skopeo re-gzips
            // them (after checking their digests) on the way to umoci.
            let bundle = tmp.appending("bundle")
            try await Oracles.unpack(reference: reference, bundle: bundle, arch: "amd64", recompressToGzip: true)
            Expect.agentStartedBeforeApp(try await Oracles.runPatchedEntrypoint(bundle: bundle))
        }
    }
}
