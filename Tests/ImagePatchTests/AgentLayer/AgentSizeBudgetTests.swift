import Foundation
import GzipEncoding
import IOFoundation
import OCI
import Tar
import Testing

@testable import ImagePatch

/// `--max-agent-size` bounds the agent's layers as they decompress, and each tar entry by the
/// size it declares, so a bomb of a few megabytes never fills the disk.
@Suite("Agent size budget")
struct AgentSizeBudgetTests {
    static let place = "layer 1 (sha256:0123456789ab) of the agent image oci:/agents/bomb:1"

    /// A tar stream of `files` files of 1 MiB of zeros each, written to `sink` as it is made.
    static func zeroTar(files: Int, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        let writer = try TarWriter(sink: sink)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for index in 0..<files {
            try writer.writeHeader(TarEntry(path: "zero-\(index)", kind: .regular, size: Int64(zeros.count), mode: 0o644))
            try zeros.withUnsafeBytes { try writer.writeData($0) }
        }
        try writer.finish()
    }

    static func gzipBomb(files: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        let encoder = GzipEncoder()
        try zeroTar(files: files) { chunk in try encoder.write(chunk) { out.append(contentsOf: $0) } }
        try encoder.finish { out.append(contentsOf: $0) }
        return out
    }

    /// Counts what the decompressor pulled from the compressed blob.
    final class CountingReader: ByteReader {
        let inner: ByteReader
        var count = 0
        init(_ inner: ByteReader) { self.inner = inner }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = try inner.read(into: buffer)
            count += n
            return n
        }
    }

    static func zeroTarBytes(files: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try zeroTar(files: files) { out.append(contentsOf: $0) }
        return out
    }

    /// `partialRead`: the bomb is large enough compressed that stopping early leaves part of it unread.
    func expectTooLarge(_ blob: [UInt8], mediaType: String, limit: Int64, partialRead: Bool) throws {
        let budget = AgentSizeBudget(limit: limit)
        let union = try UnionFilesystem(budget: budget)
        let counted = CountingReader(MemoryReader(blob))
        do {
            let stream = try LayerStream(blob: counted, mediaType: mediaType, place: Self.place, budget: budget)
            try union.apply(layer: 0, stream: stream, place: Self.place)
            try stream.finish(expectedDiffID: .sha256(of: []))
            Issue.record("the bomb was accepted")
        } catch let error as AgentLayerError {
            #expect(error == .tooLarge(place: Self.place, limit: limit))
            #expect("\(error)".contains("--max-agent-size"))
            #expect("\(error)".contains("\(limit) bytes"))
        }
        // It stopped at the chunk that passed the limit, not at the end of the bomb.
        #expect(budget.decompressed <= limit + (1 << 20))
        if partialRead { #expect(counted.count < blob.count / 2) }
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        let bomb = try Self.gzipBomb(files: 1_024)  // 1 GiB of zeros in about 1 MiB
        try expectTooLarge(bomb, mediaType: MediaType.ociLayerGzip, limit: 8 << 20, partialRead: true)
    }

    @Test(
        "zstd, xz and bzip2 bombs stop at the limit",
        arguments: [
            ("zstd", ["-q", "-19", "-c"]), ("xz", ["-6", "-c"]), ("bzip2", ["-9", "-c"]),
        ])
    func otherBombs(tool: String, arguments: [String]) async throws {
        try await TempDirectory.with("bomb") { directory in
            let tar = directory.appending("bomb.tar")
            try Data(try Self.zeroTarBytes(files: 64)).write(to: URL(fileURLWithPath: tar))
            let compressed = try await ProcessRunner.check("sh", ["-c", "\(tool) \(arguments.joined(separator: " ")) < '\(tar)'"]).stdout
            try expectTooLarge(
                Array(compressed), mediaType: "application/vnd.oci.image.layer.v1.tar+\(tool)", limit: 1 << 20, partialRead: false)
        }
    }

    /// GNU tar stores a 60 GiB sparse file in a few blocks; unpacked it would fill the spool.
    @Test func sparseEntryIsRefusedBeforeItsDataIsRead() async throws {
        try await TempDirectory.with("sparse") { directory in
            try await ProcessRunner.check("truncate", ["-s", "60G", directory.appending("huge")])
            try await ProcessRunner.check("tar", ["--sparse", "-C", directory.path, "-cf", directory.appending("sparse.tar"), "huge"])
            let tar = try Array(Data(contentsOf: URL(fileURLWithPath: directory.appending("sparse.tar"))))
            #expect(tar.count < 1 << 20)
            let budget = AgentSizeBudget(limit: AgentTreeSettings.defaultMaxUncompressedBytes)
            let union = try UnionFilesystem(budget: budget)
            #expect(
                throws: AgentLayerError.entryTooLarge(
                    place: Self.place, path: "huge", size: 60 << 30,
                    limit: AgentTreeSettings.defaultMaxUncompressedBytes)
            ) {
                try union.apply(layer: 0, stream: MemoryReader(tar), place: Self.place)
            }
        }
    }

    /// The spool counts across layers: two layers each under the limit, together over it.
    @Test func budgetIsSharedByTheAgentsLayers() async throws {
        let half = try UnionFilesystemTests.tarBytes([UnionFilesystemTests.file("a", String(repeating: "x", count: 600 << 10))])
        let other = try UnionFilesystemTests.tarBytes([UnionFilesystemTests.file("b", String(repeating: "y", count: 600 << 10))])
        let image = try AgentImageDouble(tars: [half, other])
        await #expect(throws: AgentLayerError.self) { try await image.build(.testing(maxBytes: 1 << 20)) }
        let layer = try await image.build(.testing(maxBytes: 2 << 20))
        #expect(layer.paths.contains(BytePath("opt/CS/rootfs/b")))
    }

    @Test func errorNamesTheImageTheLayerAndItsDigest() async throws {
        let small = try UnionFilesystemTests.tarBytes([UnionFilesystemTests.file("a", "a")])
        let image = try AgentImageDouble(reference: "oci:/agents/bomb:1", tars: [small, try Self.zeroTarBytes(files: 16)])
        do {
            _ = try await image.build(.testing(maxBytes: 4 << 20))
            Issue.record("the bomb was accepted")
        } catch let error as AgentLayerError {
            let text = "\(error)"
            let digest = Digest.sha256(of: image.layers[1].blob).shortDescription
            #expect(text.hasPrefix("layer 2 (\(digest)) of the agent image oci:/agents/bomb:1"), "\(text)")
            #expect(text.contains("--max-agent-size limit of 4194304 bytes"), "\(text)")
        }
    }
}
