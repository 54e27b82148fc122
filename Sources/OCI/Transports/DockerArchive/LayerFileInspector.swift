import GzipDecoding
import Hashing
import IOFoundation
import Tar

/// Hashes a layer file as stored (its digest) and as uncompressed tar (its diff_id), in one read.
enum LayerFileInspector {
    struct Result {
        var digest: Digest
        var diffID: Digest
        var size: Int64
        var compressed: Bool
    }

    /// `what` names the layer (index, file, archive) in errors; a layer whose uncompressed content
    /// passes `maxUncompressedBytes` (a gzip bomb) is refused as soon as it does.
    static func inspect(path: String, what: String, maxUncompressedBytes: Int64) throws -> Result {
        let storedHasher = DigestHasher()
        var size: Int64 = 0
        let file = try FileReader(path: path, what: what)
        let counting = ClosureReader { buffer in
            let n = try file.read(into: buffer)
            storedHasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            size += Int64(n)
            return n
        }
        let compressed = try isGzip(path, what: what)
        let uncompressed: ByteReader =
            compressed
            ? PlaceNamingReader(try GzipDecoder(reading: counting), place: what)
            : counting
        let diffHasher = DigestHasher()
        var total: Int64 = 0
        try uncompressed.forEachChunk {
            total += Int64($0.count)
            guard total <= maxUncompressedBytes else {
                throw OCIError.archiveTooLarge(what: "the uncompressed content of \(what)", limit: maxUncompressedBytes)
            }
            diffHasher.update($0)
        }
        // The decompressor may stop before the file's end (trailing bytes); hash them too.
        try counting.drain()
        return Result(
            digest: Digest(hex: storedHasher.finalizeHex()), diffID: Digest(hex: diffHasher.finalizeHex()),
            size: size, compressed: compressed)
    }

    static func isGzip(_ path: String, what: String) throws -> Bool {
        let file = try FileReader(path: path, what: what)
        var header = [UInt8](repeating: 0, count: 2)
        let n = try header.withUnsafeMutableBytes { try file.read(into: $0) }
        return n == 2 && header[0] == 0x1f && header[1] == 0x8b
    }
}
