import CCrypto

/// An ECDSA P-256 signing key, read from PEM with libcrypto: PKCS#8 (`PRIVATE KEY`), SEC1
/// (`EC PRIVATE KEY`) and passphrase-encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, or a legacy encrypted
/// SEC1 block). Other key types and curves are refused, because the cosign signature format and the
/// verifiers that read it (Kyverno, policy-controller) expect ECDSA P-256 with SHA-256.
///
/// The key is kept as its DER encoding and parsed again for each signature: signing happens a
/// handful of times per run, and a value type needs no lock or unchecked Sendable around a C handle.
public struct ECDSAP256PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let der: [UInt8]
    public let publicKey: ECDSAP256PublicKey

    /// Reads a PEM private key. `name` is what errors call it (the file name). A passphrase is used
    /// only when the key is encrypted; libcrypto is never allowed to prompt on the terminal.
    public init(pem: [UInt8], passphrase: [UInt8]?, name: String) throws(SigningKeyError) {
        if let excess = KeyDerivationCost.excess(encryptedPEM: pem) { throw .tooCostly(path: name, reason: excess) }
        let context = PassphraseContext(passphrase)
        let key: OpaquePointer? = pem.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return withExtendedLifetime(context) {
                PEM_read_bio_PrivateKey(bio, nil, passphraseCallback, Unmanaged.passUnretained(context).toOpaque())
            }
        }
        ERR_clear_error()
        guard let key else {
            if context.asked {
                throw passphrase == nil ? .passphraseRequired(path: name) : .wrongPassphrase(path: name)
            }
            throw .notAPrivateKey(path: name, reason: "no PEM private key block libcrypto can read")
        }
        defer { EVP_PKEY_free(key) }
        try self.init(key: key, name: name)
    }

    /// Reads an unencrypted PKCS#8 or SEC1 DER private key (what cosign's own key format encrypts).
    public init(der: [UInt8], name: String) throws(SigningKeyError) {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        ERR_clear_error()
        guard let key else { throw .notAPrivateKey(path: name, reason: "the DER private key cannot be parsed") }
        defer { EVP_PKEY_free(key) }
        try self.init(key: key, name: name)
    }

    private init(key: OpaquePointer, name: String) throws(SigningKeyError) {
        try requireP256(key, name: name)
        // A key file whose public half was altered (or whose scalar was) loads, but every signature
        // made with it fails to verify against the public key it publishes.
        guard let check = EVP_PKEY_CTX_new(key, nil) else { throw .notAPrivateKey(path: name, reason: "libcrypto is out of memory") }
        let matches = EVP_PKEY_pairwise_check(check) == 1
        EVP_PKEY_CTX_free(check)
        ERR_clear_error()
        guard matches else { throw .mismatchedPublicKey(path: name) }
        let length = i2d_PrivateKey(key, nil)
        var der = [UInt8](repeating: 0, count: Int(max(length, 0)))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PrivateKey(key, &cursor)
        }
        guard length > 0, written == length, let publicKey = ECDSAP256PublicKey(key: key) else {
            ERR_clear_error()
            throw .notAPrivateKey(path: name, reason: "libcrypto cannot encode the key")
        }
        self.der = der
        self.publicKey = publicKey
    }

    /// An ASN.1 DER ECDSA signature over SHA-256(message), as cosign and DSSE verifiers expect.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        guard let key else { fatalError("a validated ECDSA key no longer parses") }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        precondition(EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1, "EVP_DigestSignInit failed")
        return message.withUnsafeBufferPointer { input -> [UInt8] in
            var length = 0
            precondition(EVP_DigestSign(context, nil, &length, input.baseAddress, input.count) == 1, "EVP_DigestSign failed")
            var signature = [UInt8](repeating: 0, count: length)
            precondition(
                EVP_DigestSign(context, &signature, &length, input.baseAddress, input.count) == 1,
                "EVP_DigestSign failed")
            return Array(signature.prefix(length))
        }
    }

    /// Never the key material: not in `description`, `debugDescription` (string interpolation of
    /// `String(reflecting:)`), nor in `dump` or a debugger's view through the mirror.
    public var description: String { "ECDSA P-256 private key (public key sha256:\(publicKey.fingerprint.prefix(12)))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

/// An ECDSA P-256 public key as SubjectPublicKeyInfo: exported for `cosign verify --key`, Kyverno and
/// policy-controller, and used by `inspect` and the tests to check signatures.
public struct ECDSAP256PublicKey: Sendable, Equatable {
    public let spkiDER: [UInt8]

    init?(key: OpaquePointer) {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { return nil }
        spkiDER = der
    }

    /// Reads a `PUBLIC KEY` PEM block; nil unless it is an ECDSA P-256 key.
    public init?(pem: [UInt8]) {
        let key: OpaquePointer? = pem.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let key else { return nil }
        defer { EVP_PKEY_free(key) }
        guard (try? requireP256(key, name: "")) != nil else { return nil }
        self.init(key: key)
    }

    /// PEM `PUBLIC KEY`, 64 columns, with a final newline (the form cosign writes to cosign.pub).
    public var pem: String {
        var text = "-----BEGIN PUBLIC KEY-----\n"
        let encoded = base64(spkiDER)
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 64, limitedBy: encoded.endIndex) ?? encoded.endIndex
            text += encoded[start..<end] + "\n"
            start = end
        }
        return text + "-----END PUBLIC KEY-----\n"
    }

    /// SHA-256 of the DER encoding, hex: how the key is named in logs and DSSE `keyid`s.
    public var fingerprint: String { DigestHasher.hex(.sha256, of: spkiDER) }

    /// True when `signature` (DER) is a valid ECDSA signature over SHA-256(message) by this key.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        let key: OpaquePointer? = spkiDER.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = EVP_DigestVerify(context, signature, signature.count, message, message.count)
        ERR_clear_error()
        return result == 1
    }
}

/// Refuses anything but an EC key on prime256v1, naming what it is instead ("an RSA key").
private func requireP256(_ key: OpaquePointer, name: String) throws(SigningKeyError) {
    guard EVP_PKEY_get_base_id(key) == EVP_PKEY_EC else {
        let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
        throw .unsupportedKey(path: name, found: "an \(type) key")
    }
    var group = [CChar](repeating: 0, count: 80)
    var length = 0
    guard EVP_PKEY_get_group_name(key, &group, group.count, &length) == 1 else {
        ERR_clear_error()
        throw .unsupportedKey(path: name, found: "an EC key with explicit curve parameters")
    }
    let curve = String(decoding: group.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard curve == "prime256v1" else { throw .unsupportedKey(path: name, found: "an EC key on curve \(curve)") }
}

/// What the passphrase callback sees: the passphrase (or none), and whether libcrypto asked for one,
/// which tells "encrypted but no passphrase" and "wrong passphrase" apart from "not a key".
private final class PassphraseContext {
    let passphrase: [UInt8]?
    var asked = false
    init(_ passphrase: [UInt8]?) { self.passphrase = passphrase }
}

private let passphraseCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
    buffer, size, _, user in
    guard let user, let buffer else { return -1 }
    let context = Unmanaged<PassphraseContext>.fromOpaque(user).takeUnretainedValue()
    context.asked = true
    // Without a passphrase, or with one too long for libcrypto's buffer, fail rather than truncate.
    guard let passphrase = context.passphrase, passphrase.count <= Int(size) else { return -1 }
    passphrase.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    return Int32(passphrase.count)
}

/// Standard base64 with padding, through libcrypto's EVP_EncodeBlock.
func base64(_ bytes: [UInt8]) -> String {
    guard !bytes.isEmpty else { return "" }
    var output = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
    let length = EVP_EncodeBlock(&output, bytes, Int32(bytes.count))
    return String(decoding: output.prefix(Int(length)), as: UTF8.self)
}
