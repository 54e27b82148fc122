import GzipDecoding
import Hashing
import Tar

/// Hashes a layer file as stored (its digest) and as uncompressed tar (its diff_id), in one read.
enum LayerFileInspector {
    struct Result {
        var digest: Digest
        var diffID: Digest
        var size: Int64
        var compressed: Bool
    }

    static func inspect(path: String, what: String) throws -> Result {
        let storedHasher = DigestHasher()
        var size: Int64 = 0
        let file = try FileReader(path: path)
        let counting = ClosureReader { buffer in
            let n = try file.read(into: buffer)
            storedHasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            size += Int64(n)
            return n
        }
        let compressed = try isGzip(path)
        let uncompressed: ByteReader = compressed
            ? try GzipDecoder(upstream: { try counting.read(into: $0) }).asByteReader()
            : counting
        let diffHasher = DigestHasher()
        do {
            try uncompressed.forEachChunk { diffHasher.update($0) }
        } catch let error as GzipDecoderError {
            throw OCIError.malformed(what, "\(error)")
        }
        // The decompressor may stop before the file's end (trailing bytes); hash them too.
        try counting.drain()
        return Result(digest: Digest(hex: storedHasher.finalizeHex()), diffID: Digest(hex: diffHasher.finalizeHex()),
                      size: size, compressed: compressed)
    }

    static func isGzip(_ path: String) throws -> Bool {
        let file = try FileReader(path: path)
        var header = [UInt8](repeating: 0, count: 2)
        let n = try header.withUnsafeMutableBytes { try file.read(into: $0) }
        return n == 2 && header[0] == 0x1f && header[1] == 0x8b
    }
}

extension GzipDecoder {
    public func asByteReader() -> ByteReader { ClosureReader { try self.read(into: $0) } }
}
