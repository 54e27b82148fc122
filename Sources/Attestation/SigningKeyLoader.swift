import Hashing

/// Reads `--sign-key FILE`: a PEM ECDSA P-256 key in PKCS#8, SEC1, encrypted PKCS#8 (or legacy
/// encrypted SEC1), or cosign's own encrypted format. Every failure is one `SigningKeyError` naming
/// the file; the passphrase never reaches an error, a log or a description.
public enum SigningKeyLoader {
    public static func load(path: String, passphrase: [UInt8]?) throws(SigningKeyError) -> ECDSAP256PrivateKey {
        try load(pem: KeyFile.read(path: path), passphrase: passphrase, name: path)
    }

    /// `name` is what errors call the key (its file name).
    public static func load(pem bytes: [UInt8], passphrase: [UInt8]?, name: String) throws(SigningKeyError) -> ECDSAP256PrivateKey {
        let blocks = PEMBlock.all(in: bytes)
        guard let block = blocks.first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            if let first = blocks.first {
                throw .notAPrivateKey(
                    path: name,
                    reason: first.label == "PUBLIC KEY"
                        ? "it holds a public key" : "its PEM block is \(first.label.debugDescription), not a private key")
            }
            throw .notAPrivateKey(path: name, reason: "it holds no PEM block")
        }
        switch block.label {
        case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY":
            guard let body = block.body else { throw .notAPrivateKey(path: name, reason: "the PEM body is not base64") }
            if body.first == UInt8(ascii: "{") {
                let der = try CosignEncryptedKey.decrypt(body, passphrase: passphrase, name: name)
                return try ECDSAP256PrivateKey(der: der, name: name)
            }
            // sigstore's newer writers put a standard encrypted PKCS#8 (EncryptedPrivateKeyInfo) under the same label.
            let pem = PEMBlock.encode(label: "ENCRYPTED PRIVATE KEY", der: body)
            return try ECDSAP256PrivateKey(pem: pem, passphrase: passphrase, name: name)
        case "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
            return try ECDSAP256PrivateKey(pem: block.text, passphrase: passphrase, name: name)
        case "RSA PRIVATE KEY":
            throw .unsupportedKey(path: name, found: "an RSA key")
        case "DSA PRIVATE KEY":
            throw .unsupportedKey(path: name, found: "a DSA key")
        default:
            throw .notAPrivateKey(path: name, reason: "its PEM block is \(block.label.debugDescription)")
        }
    }

    /// Reads `--sign-passphrase-file FILE`: the passphrase is the file's content without one final
    /// newline (`\n` or `\r\n`), as `echo secret > file` writes it.
    public static func passphrase(fromFile path: String) throws(SigningKeyError) -> [UInt8] {
        var bytes: [UInt8]
        do {
            bytes = try KeyFile.read(path: path, limit: 4096)
        } catch {
            let reason =
                switch error {
                case .notRegularFile(_, let kind): "it is \(kind), not a regular file"
                case .tooLarge(_, let limit): "it is larger than the \(limit)-byte limit"
                case .unreadable(_, let reason): reason
                default: "\(error)"
                }
            throw .passphraseFileUnusable(path: path, reason: reason)
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }
}
