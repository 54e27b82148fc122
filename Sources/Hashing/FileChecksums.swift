import CCrypto

/// The SHA-256 and SHA-1 of one file, computed in one pass. SPDX 2.3 requires a SHA-1 checksum for
/// every file (and derives the package verification code from them); SHA-1 is used for nothing else.
public struct FileChecksums: Sendable, Equatable {
    public let sha256Hex: String
    public let sha1Hex: String

    public init(sha256Hex: String, sha1Hex: String) {
        self.sha256Hex = sha256Hex
        self.sha1Hex = sha1Hex
    }

    public static func of<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> FileChecksums {
        let hasher = FileChecksumHasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// Feeds file content to SHA-256 and SHA-1 at once, for the layer writer's streaming pass.
public final class FileChecksumHasher {
    private let sha256 = EVPDigest(EVP_sha256())
    private let sha1 = EVPDigest(EVP_sha1())

    public init() {}

    public func update(_ buffer: UnsafeRawBufferPointer) {
        sha256.update(buffer)
        sha1.update(buffer)
    }

    public func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        sha256.update(bytes)
        sha1.update(bytes)
    }

    /// The hasher must not be used afterwards.
    public func finalize() -> FileChecksums {
        FileChecksums(sha256Hex: sha256.finalizeHex(), sha1Hex: sha1.finalizeHex())
    }
}
