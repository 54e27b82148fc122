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
    private let sha256 = DigestHasher(.sha256)
    private let sha1: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        sha1 = context
        precondition(EVP_DigestInit_ex(context, EVP_sha1(), nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(sha1) }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        sha256.update(buffer)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        precondition(EVP_DigestUpdate(sha1, base, buffer.count) == 1, "EVP_DigestUpdate failed")
    }

    public func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The hasher must not be used afterwards.
    public func finalize() -> FileChecksums {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(sha1, &output, &length) == 1, "EVP_DigestFinal_ex failed")
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        for byte in output.prefix(Int(length)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return FileChecksums(sha256Hex: sha256.finalizeHex(), sha1Hex: String(decoding: hex, as: UTF8.self))
    }
}
