import CCrypto

/// An incremental message digest over OpenSSL libcrypto's EVP interface.
/// Content addressing in OCI is sha256 (sha512 is allowed by the spec, so readers accept it too).
public final class DigestHasher {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256, sha512

        /// Length of the hex encoding, used to validate digest strings before hashing anything.
        public var hexLength: Int { self == .sha256 ? 64 : 128 }
    }

    public let algorithm: Algorithm
    private let digest: EVPDigest

    public init(_ algorithm: Algorithm = .sha256) {
        self.algorithm = algorithm
        digest = EVPDigest(algorithm == .sha256 ? EVP_sha256() : EVP_sha512())
    }

    public func update(_ buffer: UnsafeRawBufferPointer) { digest.update(buffer) }

    public func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) { digest.update(bytes) }

    /// The lowercase hex digest. The hasher must not be used afterwards.
    public func finalizeHex() -> String { digest.finalizeHex() }

    public static func hex<Bytes: Collection<UInt8>>(_ algorithm: Algorithm = .sha256, of bytes: Bytes) -> String {
        let hasher = DigestHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalizeHex()
    }
}

/// One EVP message digest context: the part every hasher here shares.
final class EVPDigest {
    private let context: OpaquePointer

    init(_ md: OpaquePointer?) {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        precondition(EVP_DigestInit_ex(context, md, nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, buffer.count) == 1, "EVP_DigestUpdate failed")
    }

    func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The lowercase hex digest. The context must not be used afterwards.
    func finalizeHex() -> String {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &output, &length) == 1, "EVP_DigestFinal_ex failed")
        return hexEncoded(output.prefix(Int(length)))
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private func hexEncoded<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
