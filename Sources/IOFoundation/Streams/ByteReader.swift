/// A pull-based byte stream: every blob, decompressor and tar stream in imagepatch is one, so
/// data flows through in fixed-size chunks and memory does not grow with layer size.
public protocol ByteReader: AnyObject {
    /// Fills the front of `buffer`; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

public let streamChunkSize = 1 << 20

extension ByteReader {
    /// Reads the whole stream, refusing more than `limit` bytes (for manifests and configs).
    public func readAll(limit: Int, what: String) throws -> [UInt8] {
        var result = [UInt8]()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try read(into: chunk)
            if count == 0 { return result }
            guard result.count + count <= limit else { throw IOError.tooLarge(what: what, limit: Int64(limit)) }
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }

    /// Pushes the whole stream into `sink`, chunk by chunk.
    public func forEachChunk(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try read(into: chunk)
            if count == 0 { return }
            try sink(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }

    /// Reads to the end, discarding the bytes (to finish a verification).
    public func drain() throws { try forEachChunk { _ in } }
}

/// Adapts a closure to ByteReader, for a read that counts, hashes or reads at a position on the way.
public final class ClosureReader: ByteReader {
    private let body: (UnsafeMutableRawBufferPointer) throws -> Int
    public init(_ body: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) { self.body = body }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try body(buffer) }
}

/// Serves bytes already in memory (manifests and configs that were read and verified).
public final class MemoryReader: ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
        offset += count
        return count
    }
}
