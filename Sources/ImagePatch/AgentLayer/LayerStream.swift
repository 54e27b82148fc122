import GzipDecoding
import Hashing
import IOFoundation
import OCI
import Tar

/// Turns a verified layer blob into its uncompressed tar bytes while hashing them, so the
/// layer's diff_id can be checked against the config once the tar has been read.
/// gzip goes through zlib; any other compression (zstd, bzip2, xz, none) through libarchive.
/// Every decompressed byte is counted against the agent's `--max-agent-size` budget as it comes.
final class LayerStream: ByteReader {
    private let compressed: ByteReader
    private let uncompressed: ByteReader
    private let hasher = DigestHasher()
    private let budget: AgentSizeBudget
    private let place: String

    init(blob: ByteReader, mediaType: String, place: String, budget: AgentSizeBudget) throws {
        compressed = blob
        self.place = place
        self.budget = budget
        // Decoder errors ("the gzip stream is truncated") say nothing of where: they get `place`.
        do {
            let decoder: ByteReader = mediaType.hasSuffix("gzip") ? try GzipDecoder(reading: blob) : try Decompressor(reading: blob)
            uncompressed = PlaceNamingReader(decoder, place: place)
        } catch let error as GzipDecoderError {
            throw OCIError.malformed(place, "\(error)")
        } catch let error as TarError {
            throw OCIError.malformed(place, "\(error)")
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try uncompressed.read(into: buffer)
        // Bounds what a decompression bomb can cost, trailing bytes after the tar's end included.
        try budget.countDecompressed(n, place: place)
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    /// Reads what the tar parser left (end-of-archive padding) and checks both digests:
    /// the diff_id of the uncompressed bytes, and, by draining the blob, its own digest.
    func finish(expectedDiffID: Digest) throws {
        try drain()
        try compressed.drain()
        let actual = Digest(hex: hasher.finalizeHex())
        guard actual == expectedDiffID else {
            throw OCIError.digestMismatch(
                what: "the uncompressed content of \(place) (its diff_id)", expected: expectedDiffID, actual: actual)
        }
    }
}
