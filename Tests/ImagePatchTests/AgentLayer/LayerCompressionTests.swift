import Foundation
import Hashing
import IOFoundation
import OCI
import Tar
import Testing

@testable import ImagePatch

/// `--compression`: the media type of each compression in each family, the encoders (checked with
/// the system's gzip and zstd and with libarchive), the layer key, and the builder.
@Suite("Layer compression")
struct LayerCompressionTests {
    // MARK: media types

    /// A compression, a family, and the layer media type expected for them (nil: none).
    struct MediaTypeCase: Sendable, CustomTestStringConvertible {
        var compression: LayerCompression
        var family: MediaTypeFamily
        var expected: String?
        var testDescription: String { "\(compression) in \(family)" }
    }

    @Test(
        "the agent layer's media type for each compression in each family",
        arguments: [
            MediaTypeCase(compression: .gzip, family: .oci, expected: MediaTypes.ociLayerGzip),
            MediaTypeCase(compression: .gzip, family: .docker, expected: MediaTypes.dockerLayerGzip),
            MediaTypeCase(compression: .zstd, family: .oci, expected: MediaTypes.ociLayerZstd),
            // Docker's schema 2 lists gzip (and uncompressed) layers only.
            MediaTypeCase(compression: .zstd, family: .docker, expected: nil),
        ])
    func mediaTypes(_ testCase: MediaTypeCase) {
        #expect(testCase.compression.layerMediaType(in: testCase.family) == testCase.expected)
        let format = LayerFormat(testCase.compression, in: testCase.family)
        #expect(format?.mediaType == testCase.expected)
        if let format {
            // Read back from a manifest, the media type names the same format.
            #expect(LayerFormat(mediaType: format.mediaType) == format)
        }
    }

    @Test(
        "media types that are no agent layer's name no format",
        arguments: [
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.oci.image.layer.v1.tar+zstd ",
            "",
        ])
    func unknownMediaTypes(_ mediaType: String) {
        #expect(LayerFormat(mediaType: mediaType) == nil)
    }

    @Test func zstdForADockerImageIsRefusedWithOneLine() throws {
        let image = "the source image oci:/images/app:1 for linux/amd64"
        #expect(try LayerFormat.forPatching(.zstd, family: .oci, image: image).mediaType == MediaTypes.ociLayerZstd)
        #expect(try LayerFormat.forPatching(.gzip, family: .docker, image: image).mediaType == MediaTypes.dockerLayerGzip)
        do {
            _ = try LayerFormat.forPatching(.zstd, family: .docker, image: image)
            Issue.record("zstd was accepted for a Docker image")
        } catch {
            let text = String(describing: error)
            #expect(!text.contains("\n"))
            for part in ["--compression", "zstd", image, "Docker"] { #expect(text.contains(part), "\(text)") }
        }
    }

    // MARK: the layer key

    @Test("the key names the compression; a gzip key is the one earlier versions recorded")
    func keyIncludesTheCompression() throws {
        let agent = Digest(hex: String(repeating: "c", count: 64))
        let settings = AgentTreeSettings.testing()
        let gzip = AgentLayerKey(agentManifest: agent, settings: settings, compression: .gzip)
        let zstd = AgentLayerKey(agentManifest: agent, settings: settings, compression: .zstd)
        #expect(gzip != zstd)
        // The key's fields as imagepatch has always hashed them, spelled out here: labels and cache
        // entries written before --compression existed keep naming the same gzip layers.
        let fields =
            #"{"format":1,"agent":"sha256:\#(String(repeating: "c", count: 64))","installDirectory":"opt/CS/rootfs","agentRoot":"","includes":null,"normalizeModes":true,"defaultTime":0,"compression":"#
        #expect(gzip.hex == DigestHasher.hex(.sha256, of: Array((fields + #""gzip"}"#).utf8)))
        #expect(zstd.hex == DigestHasher.hex(.sha256, of: Array((fields + #""zstd"}"#).utf8)))
    }

    // MARK: encoders

    /// Text-like bytes with some repetition, then bytes that do not compress.
    static let payload: [UInt8] = {
        var bytes = Array((0..<120_000).map { "line \($0 % 977) of the agent\n" }.joined().utf8)
        var generator = SystemRandomNumberGenerator()
        bytes += (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return bytes
    }()

    /// Compresses `input` with `compression`'s encoder, fed in uneven pieces.
    static func encode(_ input: [UInt8], _ compression: LayerCompression) throws -> [UInt8] {
        let encoder = try compression.makeEncoder()
        var output: [UInt8] = []
        var offset = 0
        var piece = 1
        try input.withUnsafeBytes { all in
            while offset < all.count {
                let end = min(all.count, offset + piece)
                try encoder.write(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { output.append(contentsOf: $0) }
                offset = end
                piece = piece * 7 + 13
            }
        }
        try encoder.finish { output.append(contentsOf: $0) }
        return output
    }

    @Test("each encoder's output is what the system's own tool decompresses", arguments: LayerCompression.allCases)
    func systemToolDecodes(_ compression: LayerCompression) async throws {
        let compressed = try Self.encode(Self.payload, compression)
        #expect(compressed.count < Self.payload.count)
        let tool = compression == .gzip ? "gzip" : "zstd"
        let decoded = try await ProcessRunner.check(tool, ["-dc"], stdin: Data(compressed)).stdout
        #expect(decoded.count == Self.payload.count)
        #expect(Array(decoded) == Self.payload)
    }

    @Test("each encoder's output is what libarchive decompresses", arguments: LayerCompression.allCases)
    func libarchiveDecodes(_ compression: LayerCompression) throws {
        let source = MemoryReader(try Self.encode(Self.payload, compression))
        let decoded = try Decompressor(reading: source).readAll(limit: 1 << 30, what: "encoded payload")
        #expect(decoded == Self.payload)
    }

    @Test func zstdFramesCarryAChecksum() async throws {
        try await TempDirectory.with("zstd-check") { tmp in
            let file = tmp.appending("layer.tar.zst")
            try Data(try Self.encode(Self.payload, .zstd)).write(to: URL(fileURLWithPath: file))
            let listing = try await ProcessRunner.check("zstd", ["-lv", file]).stdoutText
            #expect(listing.contains("Check: XXH64"), "\(listing)")
            // A flipped byte in the middle is caught by zstd's own checks.
            var damaged = try Self.encode(Self.payload, .zstd)
            damaged[damaged.count / 2] ^= 0x40
            let run = try await ProcessRunner.run("zstd", ["-dc"], stdin: Data(damaged))
            #expect(!run.succeeded)
        }
    }

    @Test("encoders stream: what they hold back stays small however long the input", arguments: LayerCompression.allCases)
    func boundedBuffering(_ compression: LayerCompression) throws {
        let encoder = try compression.makeEncoder()
        var generator = SystemRandomNumberGenerator()
        // Longer than zstd's 2 MiB window, so its repeats find no match and it stays incompressible.
        let piece = (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var written = 0
        var emitted = 0
        var largestChunk = 0
        for _ in 0..<8 {
            try piece.withUnsafeBytes {
                try encoder.write($0) {
                    emitted += $0.count
                    largestChunk = max(largestChunk, $0.count)
                }
            }
            written += piece.count
            // Random bytes do not compress: all but the encoder's window and buffer must be out already.
            #expect(emitted >= written - (4 << 20), "\(compression) holds \(written - emitted) bytes")
        }
        try encoder.finish {
            emitted += $0.count
            largestChunk = max(largestChunk, $0.count)
        }
        #expect(emitted >= written)
        #expect(largestChunk <= 1 << 20)
    }

    // MARK: the builder

    @Test("the compression changes the layer's bytes and media type, never its tar (diff_id)")
    func builderCompressions() async throws {
        let tar = try UnionFilesystemTests.tarBytes([
            UnionFilesystemTests.dir("bin/"),
            UnionFilesystemTests.file("bin/agent", String(repeating: "agent ", count: 5000), mode: 0o755),
        ])
        let image = try AgentImageDouble(tars: [tar])
        let gzip = try await image.build(.testing(), format: .oci(.gzip))
        let zstd = try await image.build(.testing(), format: .oci(.zstd))
        #expect(gzip.diffID == zstd.diffID)
        #expect(gzip.digest != zstd.digest)
        #expect(gzip.descriptor.mediaType == MediaTypes.ociLayerGzip && zstd.descriptor.mediaType == MediaTypes.ociLayerZstd)
        #expect(gzip.file.hasSuffix("/layer.tar.gz") && zstd.file.hasSuffix("/layer.tar.zst"))
        for layer in [gzip, zstd] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: layer.file))
            #expect(sha256Digest(bytes) == layer.digest.description && Int64(bytes.count) == layer.size)
        }
        // The diff_id is the hash of what the system's zstd decompresses.
        let tarBytes = try await ProcessRunner.check("zstd", ["-dc", zstd.file]).stdout
        #expect(sha256Digest(tarBytes) == zstd.diffID.description)

        // One built layer serves both families; only another compression is refused.
        let docker = try gzip.described(as: try #require(LayerFormat(.gzip, in: .docker)))
        #expect(docker.descriptor == Descriptor(mediaType: MediaTypes.dockerLayerGzip, digest: gzip.digest, size: gzip.size))
        #expect(throws: PatchError.self) { try zstd.described(as: .oci(.gzip)) }
    }
}
