import Hashing
import IOFoundation

/// Passes a blob through while hashing and counting it. Reading past the declared size fails at
/// once (a hostile source cannot make us store an endless stream), and the digest is checked when
/// the stream ends, before the caller sees end-of-stream: a consumer that reads to the end has
/// only ever accepted verified content.
public final class VerifyingReader: ByteReader {
    private let upstream: ByteReader
    private let expectedDigest: Digest
    private let expectedSize: Int64
    private let what: String
    private let hasher: DigestHasher
    private var count: Int64 = 0
    private var verified = false

    public init(_ upstream: ByteReader, digest: Digest, size: Int64, what: String) {
        self.upstream = upstream
        self.expectedDigest = digest
        self.expectedSize = size
        self.what = what
        self.hasher = DigestHasher(digest.algorithm)
    }

    public convenience init(_ upstream: ByteReader, descriptor: Descriptor, what: String) {
        self.init(upstream, digest: descriptor.digest, size: descriptor.size, what: what)
    }

    /// A file whose size is known before the first byte: one that is not the descriptor's size is
    /// refused at once (a 60 GiB sparse file is not read to learn that it is too long).
    public convenience init(file: FileReader, descriptor: Descriptor, what: String) throws {
        guard file.size == descriptor.size else {
            throw OCIError.sizeMismatch(what: what, expected: descriptor.size, actual: file.size)
        }
        self.init(file, descriptor: descriptor, what: what)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if verified { return 0 }
        // Never ask for more than the declared size plus one byte, which is enough to detect overflow.
        let remaining = expectedSize - count
        let window = Int(min(Int64(buffer.count), max(remaining, 0) + 1))
        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<window]))
        if n == 0 {
            guard count == expectedSize else {
                throw OCIError.sizeMismatch(what: what, expected: expectedSize, actual: count)
            }
            let actual = Digest(algorithm: expectedDigest.algorithm, hex: hasher.finalizeHex())
            guard actual == expectedDigest else {
                throw OCIError.digestMismatch(what: what, expected: expectedDigest, actual: actual)
            }
            verified = true
            return 0
        }
        count += Int64(n)
        guard count <= expectedSize else {
            throw OCIError.sizeMismatch(what: what, expected: expectedSize, actual: count)
        }
        hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }
}
