import Hashing
import JSON

/// cosign's encrypted private key (`ENCRYPTED SIGSTORE PRIVATE KEY`, formerly `ENCRYPTED COSIGN
/// PRIVATE KEY`): the PEM body is go-securesystemslib's `encrypted` JSON,
/// `{"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},"cipher":{"name":"nacl/secretbox","nonce"},"ciphertext"}`
/// (byte fields in base64), and the ciphertext is secretbox(PKCS#8 DER of the key, nonce,
/// scrypt(passphrase, salt, N, r, p, 32 bytes)).
enum CosignEncryptedKey {
    static func decrypt(_ body: [UInt8], passphrase: [UInt8]?, name: String) throws(SigningKeyError) -> [UInt8] {
        let fields = try Fields(body, name: name)
        // cosign allows an empty password (COSIGN_PASSWORD=""); without a passphrase, try that one.
        let candidate = passphrase ?? []
        let key: [UInt8]
        do {
            key = try Scrypt.deriveKey(
                passphrase: candidate, salt: fields.salt, n: fields.n, r: fields.r, p: fields.p,
                length: SecretBox.keyBytes)
        } catch .tooMuchWork(let reason) {
            throw .tooCostly(path: name, reason: reason)
        } catch {
            throw .notAPrivateKey(path: name, reason: "cosign key: \(error)")
        }
        guard let plaintext = SecretBox.open(fields.ciphertext, nonce: fields.nonce, key: key) else {
            throw passphrase == nil ? .passphraseRequired(path: name) : .wrongPassphrase(path: name)
        }
        return plaintext
    }

    private struct Fields {
        let n: UInt64, r: UInt64, p: UInt64
        let salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8]

        init(_ body: [UInt8], name: String) throws(SigningKeyError) {
            func malformed(_ reason: String) -> SigningKeyError { .notAPrivateKey(path: name, reason: "cosign key: \(reason)") }
            guard let document = try? JSONValue(parsing: body, maxDepth: 8), document.objectValue != nil else {
                throw malformed("the encrypted key is not a JSON object")
            }
            guard document["kdf"]?["name"]?.stringValue == "scrypt" else { throw malformed("kdf.name is not \"scrypt\"") }
            guard document["cipher"]?["name"]?.stringValue == "nacl/secretbox" else {
                throw malformed("cipher.name is not \"nacl/secretbox\"")
            }
            let params = document["kdf"]?["params"]
            guard let n = params?["N"]?.int64Value, let r = params?["r"]?.int64Value, let p = params?["p"]?.int64Value,
                n > 0, r > 0, p > 0
            else {
                throw malformed("kdf.params needs positive integers N, r and p")
            }
            guard let salt = document["kdf"]?["salt"]?.stringValue.flatMap({ Base64.decode($0) }), (8...1024).contains(salt.count) else {
                throw malformed("kdf.salt is not base64 of 8 to 1024 bytes")
            }
            guard let nonce = document["cipher"]?["nonce"]?.stringValue.flatMap({ Base64.decode($0) }),
                nonce.count == SecretBox.nonceBytes
            else {
                throw malformed("cipher.nonce is not base64 of \(SecretBox.nonceBytes) bytes")
            }
            guard let ciphertext = document["ciphertext"]?.stringValue.flatMap({ Base64.decode($0) }),
                ciphertext.count > SecretBox.tagBytes
            else {
                throw malformed("ciphertext is not base64 of a secretbox")
            }
            (self.n, self.r, self.p) = (UInt64(n), UInt64(r), UInt64(p))
            (self.salt, self.nonce, self.ciphertext) = (salt, nonce, ciphertext)
        }
    }
}
