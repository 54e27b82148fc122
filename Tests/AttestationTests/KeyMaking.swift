import Foundation
import TestTools

/// Key files made by tools we did not write: the openssl CLI, and pyca/cryptography with PyNaCl and
/// hashlib's scrypt for cosign's format (made the way go-securesystemslib's `encrypted` package does).
enum KeyMaking {
    static let passphrase = "Pa55-unique-7731-phrase"

    enum Format: String, CaseIterable, Sendable, CustomStringConvertible {
        case pkcs8, sec1WithParameters, encryptedPKCS8, legacyEncryptedSEC1, cosign, sigstoreLabelEncryptedPKCS8
        var description: String { rawValue }
        var isEncrypted: Bool { ![.pkcs8, .sec1WithParameters].contains(self) }
    }

    /// Writes `key.pem` in `format` into `directory`, and `openssl.pub` (or `python.pub`): its public
    /// key as the independent tool derives it. Returns the key path and the public key path.
    static func make(_ format: Format, in directory: TemporaryDirectory) async throws -> (key: String, publicKey: String) {
        let key = directory.file("key.pem")
        let pub = directory.file("reference.pub")
        let p256 = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        switch format {
        case .pkcs8:
            try await Tools.check("openssl", p256 + ["-out", key])
        case .sec1WithParameters:
            try await Tools.check("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-out", key])
        case .encryptedPKCS8:
            try await Tools.check("openssl", p256 + ["-aes-256-cbc", "-pass", "pass:\(passphrase)", "-out", key])
        case .legacyEncryptedSEC1:
            let plain = directory.file("plain.pem")
            try await Tools.check("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain])
            try await Tools.check("openssl", ["ec", "-in", plain, "-aes256", "-passout", "pass:\(passphrase)", "-out", key])
            try FileManager.default.removeItem(atPath: plain)
        case .cosign, .sigstoreLabelEncryptedPKCS8:
            try await Tools.python(pythonCosignKey, [key, pub, passphrase, format == .cosign ? "secretbox" : "pkcs8"])
            return (key, pub)
        }
        try await Tools.check("openssl", ["pkey", "-in", key, "-passin", "pass:\(passphrase)", "-pubout", "-out", pub])
        return (key, pub)
    }

    /// argv: key path, public key path, passphrase, "secretbox" (cosign's JSON format) or "pkcs8"
    /// (a standard encrypted PKCS#8 under the sigstore label).
    static let pythonCosignKey = """
        import sys, os, json, base64, hashlib
        import nacl.secret
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        key_path, pub_path, password, kind = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4]
        key = ec.generate_private_key(ec.SECP256R1())
        if kind == "secretbox":
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            salt, nonce = os.urandom(32), os.urandom(24)
            box_key = hashlib.scrypt(password, salt=salt, n=32768, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
            sealed = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
            body = json.dumps({
                "kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
                "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
                "ciphertext": base64.b64encode(sealed).decode(),
            }).encode()
        else:
            body = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(password))
        text = base64.encodebytes(body).decode().replace("\\n", "")
        lines = [text[i:i + 64] for i in range(0, len(text), 64)]
        with open(key_path, "w") as f:
            f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\\n" + "\\n".join(lines) + "\\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\\n")
        with open(pub_path, "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        """
}
