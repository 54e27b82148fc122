import Attestation
import Foundation
import Hashing
import TestTools
import Testing

/// A key file names its own decryption work and can hold a public key that is not its own: both
/// are refused while the key is read, before anything is signed.
@Suite("Attestation: key files that ask too much, or lie")
struct KeyCostTests {
    static let passphrase = "cost-test-passphrase"

    /// Encrypted PKCS#8 keys made by openssl with the given options; `refused` says whether the
    /// work they ask for is above the bound.
    @Test(
        "encrypted PKCS#8 within the bounds loads; beyond them it is refused at once, naming the work",
        arguments: [
            (["-v2", "aes-256-cbc", "-iter", "2048"], false),
            (["-v2", "aes-256-cbc", "-iter", "3000000"], true),
            (["-v1", "PBE-SHA1-3DES", "-iter", "5000000"], true),
            (["-scrypt", "-scrypt_N", "16384", "-scrypt_r", "8", "-scrypt_p", "1"], false),
            (["-scrypt", "-scrypt_N", "16384", "-scrypt_r", "8", "-scrypt_p", "40"], true),
        ])
    func encryptedPKCS8(options: [String], refused: Bool) async throws {
        try await TemporaryDirectory.with("cost") { directory in
            let plain = directory.file("plain.pem")
            let key = directory.file("key.pem")
            try await Tools.check("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain])
            try await Tools.check(
                "openssl", ["pkcs8", "-topk8", "-in", plain, "-passout", "pass:\(Self.passphrase)", "-out", key] + options)
            do {
                _ = try SigningKeyLoader.load(path: key, passphrase: Array(Self.passphrase.utf8))
                #expect(!refused, "a key asking for \(options) loaded")
            } catch {
                #expect(refused, "\(error)")
                guard case SigningKeyError.tooCostly = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect("\(error)".contains("too much work"))
                #expect(!"\(error)".contains(Self.passphrase))
            }
        }
    }

    @Test("scrypt's N·r·p is bounded at 16 times cosign's default, whatever the memory")
    func scryptWork() {
        #expect(KeyDerivationCost.scryptExcess(n: 1 << 15, r: 8, p: 1) == nil)  // cosign's default
        #expect(KeyDerivationCost.scryptExcess(n: 1 << 15, r: 8, p: 16) == nil)
        #expect(KeyDerivationCost.scryptExcess(n: 1 << 15, r: 8, p: 17) != nil)
        #expect(KeyDerivationCost.scryptExcess(n: 1 << 15, r: 63, p: 64) != nil)
        #expect(KeyDerivationCost.scryptExcess(n: UInt64.max, r: UInt64.max, p: UInt64.max) != nil)
        #expect(throws: Scrypt.Failure.self) {
            try Scrypt.deriveKey(passphrase: [1], salt: Array(repeating: 2, count: 16), n: 1 << 15, r: 63, p: 64, length: 32)
        }
    }

    @Test("a key whose public half is not its own is refused (the fuzzer's reproducer, and one made here)")
    func mismatchedPublicKey() async throws {
        let reproducer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/signing-key/regressions/mismatched-public-key.pem").path
        #expect(throws: SigningKeyError.mismatchedPublicKey(path: reproducer)) {
            try SigningKeyLoader.load(path: reproducer, passphrase: nil)
        }
        // Key A's scalar with key B's public point, written by pyca/cryptography's DER of a SEC1 key.
        try await TemporaryDirectory.with("mismatch") { directory in
            let path = directory.file("spliced.pem")
            try await Tools.python(Self.splice, [path])
            #expect(throws: SigningKeyError.mismatchedPublicKey(path: path)) {
                try SigningKeyLoader.load(path: path, passphrase: nil)
            }
        }
    }

    /// Writes a SEC1 key (RFC 5915) whose publicKey field belongs to another key.
    static let splice = """
        import sys
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives import serialization
        a, b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        scalar = a.private_numbers().private_value.to_bytes(32, "big")
        point = b.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        oid = bytes.fromhex("06082a8648ce3d030107")
        body = bytes([2, 1, 1, 4, 32]) + scalar + bytes([0xa0, len(oid)]) + oid + bytes([0xa1, 68, 3, 66, 0]) + point
        der = bytes([0x30, len(body)]) + body
        import base64
        pem = "-----BEGIN EC PRIVATE KEY-----\\n" + base64.encodebytes(der).decode() + "-----END EC PRIVATE KEY-----\\n"
        open(sys.argv[1], "w").write(pem)
        """
}
