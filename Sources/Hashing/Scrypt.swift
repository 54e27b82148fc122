import CCrypto

/// scrypt (RFC 7914) through libcrypto's EVP_PBE_scrypt: the key derivation of cosign's encrypted key
/// format. The parameters come from the key file, so they are bounded before any memory is taken.
public enum Scrypt {
    /// cosign writes N=32768, r=8, p=1 (32 MiB); securesystemslib's strongest preset is N=131072
    /// (128 MiB). 256 MiB allows those and stops a key file from asking for gigabytes.
    public static let memoryLimit: UInt64 = 256 << 20

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidParameters(String)
        case tooExpensive(bytes: UInt64)
        case tooMuchWork(String)

        public var description: String {
            switch self {
            case .invalidParameters(let reason): "invalid scrypt parameters: \(reason)"
            case .tooMuchWork(let reason): reason
            case .tooExpensive(let bytes): "scrypt parameters need \(bytes) bytes of memory, above the \(Scrypt.memoryLimit)-byte limit"
            }
        }
    }

    public static func deriveKey(
        passphrase: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64,
        length: Int
    ) throws(Failure) -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, n <= 1 << 24 else { throw .invalidParameters("N must be a power of two between 2 and 2^24") }
        guard (1...64).contains(r) else { throw .invalidParameters("r must be between 1 and 64") }
        guard (1...64).contains(p) else { throw .invalidParameters("p must be between 1 and 64") }
        guard (1...1024).contains(length) else { throw .invalidParameters("the key length must be between 1 and 1024") }
        if let excess = KeyDerivationCost.scryptExcess(n: n, r: r, p: p) { throw .tooMuchWork(excess) }
        // What libcrypto allocates: V (128·r·(N+2)) and B (128·r·p); the bounds above keep this from overflowing.
        let memory = 128 * r * (n + 2) + 128 * r * p
        guard memory <= memoryLimit else { throw .tooExpensive(bytes: memory) }
        var key = [UInt8](repeating: 0, count: length)
        let ok = passphrase.withUnsafeBytes { pass in
            salt.withUnsafeBufferPointer { saltBuffer in
                EVP_PBE_scrypt(
                    pass.baseAddress?.assumingMemoryBound(to: CChar.self), pass.count,
                    saltBuffer.baseAddress, saltBuffer.count, n, r, p, memoryLimit + (1 << 20),
                    &key, key.count)
            }
        }
        ERR_clear_error()
        guard ok == 1 else { throw .invalidParameters("libcrypto refused them") }
        return key
    }
}
