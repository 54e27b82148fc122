import GzipDecoding
import Hashing
import OCI
import Tar

/// Turns a verified layer blob into its uncompressed tar bytes while hashing them, so the
/// layer's diff_id can be checked against the config once the tar has been read.
/// gzip goes through zlib; any other compression (zstd, bzip2, xz, none) through libarchive.
final class LayerStream: ByteReader {
    private let compressed: ByteReader
    private let uncompressed: ByteReader
    private let hasher = DigestHasher()
    private var total: Int64 = 0
    private let place: String

    init(blob: ByteReader, mediaType: String, place: String) throws {
        compressed = blob
        self.place = place
        if mediaType.hasSuffix("gzip") {
            let decoder = try GzipDecoder { try blob.read(into: $0) }
            uncompressed = decoder.asByteReader()
        } else {
            do {
                let decompressor = try Decompressor { try blob.read(into: $0) }
                uncompressed = ClosureReader { try decompressor.read(into: $0) }
            } catch let error as TarError {
                throw PatchError.badAgentLayer(place: place, reason: "\(error)")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try uncompressed.read(into: buffer)
        total += Int64(n)
        // Bounds what a decompression bomb can cost, trailing bytes after the tar's end included.
        guard total <= Limits.agentUncompressedBytes else {
            throw OCIError.tooLarge(what: "the uncompressed content of \(place)", limit: Limits.agentUncompressedBytes)
        }
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    /// Reads what the tar parser left (end-of-archive padding) and checks both digests:
    /// the diff_id of the uncompressed bytes, and, by draining the blob, its own digest.
    func finish(expectedDiffID: Digest, place: String) throws {
        try drain()
        try compressed.drain()
        let actual = Digest(hex: hasher.finalizeHex())
        guard actual == expectedDiffID else {
            throw OCIError.digestMismatch(what: "the uncompressed content of \(place) (its diff_id)", expected: expectedDiffID, actual: actual)
        }
    }
}
