import Attestation
import Foundation
import Hashing
import TestTools
import Testing

@Suite("Attestation: signing keys")
struct SigningKeyTests {
    @Test(
        "a P-256 key in each format loads; its signatures verify with pyca/cryptography and its public key is openssl's",
        arguments: KeyMaking.Format.allCases)
    func loads(format: KeyMaking.Format) async throws {
        try await TemporaryDirectory.with("key") { directory in
            let (keyPath, publicPath) = try await KeyMaking.make(format, in: directory)
            let passphrase = format.isEncrypted ? Array(KeyMaking.passphrase.utf8) : nil
            let key = try SigningKeyLoader.load(path: keyPath, passphrase: passphrase)
            let reference = try String(contentsOfFile: publicPath, encoding: .utf8)
            #expect(key.publicKey.pem == reference)
            #expect(ECDSAP256PublicKey(pem: Array(reference.utf8)) == key.publicKey)
            // The key material shows in no description, reflection or dump.
            var dumped = ""
            dump(key, to: &dumped)
            for text in [key.description, String(reflecting: key), "\(key)", dumped] {
                #expect(text.contains("ECDSA P-256 private key") || text.contains("publicKey"))
                #expect(!text.contains("der"), "\(text)")
            }

            let message = Array("a payload \(format)".utf8)
            let signature = key.sign(message)
            #expect(key.publicKey.verify(signature: signature, message: message))
            let messagePath = try directory.write("message", message)
            let verdict = try await Tools.python(pythonVerifyECDSA, [publicPath, messagePath, Base64.encode(signature)])
            #expect(verdict.stdout == "valid\n")
        }
    }

    @Test("signatures made here fail with another key and after one byte of the message changes")
    func signaturesFail() async throws {
        try await TemporaryDirectory.with("fail") { directory in
            let (keyPath, publicPath) = try await KeyMaking.make(.pkcs8, in: directory)
            let other = try TemporaryDirectory(label: "other")
            defer { other.remove() }
            let (_, otherPublicPath) = try await KeyMaking.make(.pkcs8, in: other)
            let key = try SigningKeyLoader.load(path: keyPath, passphrase: nil)
            var message = Array(#"{"critical":{}}"#.utf8)
            let signature = Base64.encode(key.sign(message))
            let messagePath = try directory.write("message", message)
            #expect(try await Tools.python(pythonVerifyECDSA, [publicPath, messagePath, signature]).stdout == "valid\n")
            #expect(try await Tools.python(pythonVerifyECDSA, [otherPublicPath, messagePath, signature]).stdout == "invalid\n")
            message[3] ^= 0x01
            let flippedPath = try directory.write("flipped", message)
            #expect(try await Tools.python(pythonVerifyECDSA, [publicPath, flippedPath, signature]).stdout == "invalid\n")
            #expect(!key.publicKey.verify(signature: Base64.decode(signature)!, message: message))
        }
    }

    enum BadInput: String, CaseIterable, Sendable, CustomStringConvertible {
        case encryptedWithoutPassphrase, encryptedWrongPassphrase, legacyEncryptedWrongPassphrase
        case cosignWithoutPassphrase, cosignWrongPassphrase
        case rsaPKCS8, rsaTraditional, p384, ed25519, directory, fifo, oversized, garbage, publicKey, missing, emptyFile
        var description: String { rawValue }
    }

    @Test("a bad key is one clear error line that names the file and never shows the passphrase", arguments: BadInput.allCases)
    func badInput(input: BadInput) async throws {
        try await TemporaryDirectory.with("bad") { directory in
            let path = directory.file("key.pem")
            let wrong = Array("wrong-\(KeyMaking.passphrase)".utf8)
            var passphrase: [UInt8]? = nil
            let expected: (String) -> SigningKeyError
            switch input {
            case .encryptedWithoutPassphrase:
                _ = try await KeyMaking.make(.encryptedPKCS8, in: directory)
                expected = { .passphraseRequired(path: $0) }
            case .encryptedWrongPassphrase:
                _ = try await KeyMaking.make(.encryptedPKCS8, in: directory)
                passphrase = wrong
                expected = { .wrongPassphrase(path: $0) }
            case .legacyEncryptedWrongPassphrase:
                _ = try await KeyMaking.make(.legacyEncryptedSEC1, in: directory)
                passphrase = wrong
                expected = { .wrongPassphrase(path: $0) }
            case .cosignWithoutPassphrase:
                _ = try await KeyMaking.make(.cosign, in: directory)
                expected = { .passphraseRequired(path: $0) }
            case .cosignWrongPassphrase:
                _ = try await KeyMaking.make(.cosign, in: directory)
                passphrase = wrong
                expected = { .wrongPassphrase(path: $0) }
            case .rsaPKCS8:
                try await Tools.check("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path])
                expected = { .unsupportedKey(path: $0, found: "an RSA key") }
            case .rsaTraditional:
                try await Tools.check("openssl", ["genrsa", "-traditional", "-out", path, "2048"])
                expected = { .unsupportedKey(path: $0, found: "an RSA key") }
            case .p384:
                try await Tools.check("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", path])
                expected = { .unsupportedKey(path: $0, found: "an EC key on curve secp384r1") }
            case .ed25519:
                try await Tools.check("openssl", ["genpkey", "-algorithm", "ED25519", "-out", path])
                expected = { .unsupportedKey(path: $0, found: "an ED25519 key") }
            case .directory:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                expected = { .notRegularFile(path: $0, kind: "a directory") }
            case .fifo:
                #expect(mkfifo(path, 0o600) == 0)
                expected = { .notRegularFile(path: $0, kind: "a FIFO") }
            case .oversized:
                _ = try await KeyMaking.make(.pkcs8, in: directory)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(repeating: UInt8(ascii: "\n"), count: KeyFile.defaultLimit))
                try handle.close()
                expected = { .tooLarge(path: $0, limit: KeyFile.defaultLimit) }
            case .garbage:
                _ = try directory.write("key.pem", (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) })
                expected = { .notAPrivateKey(path: $0, reason: "it holds no PEM block") }
            case .publicKey:
                _ = try await KeyMaking.make(.pkcs8, in: directory)
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.moveItem(atPath: directory.file("reference.pub"), toPath: path)
                expected = { .notAPrivateKey(path: $0, reason: "it holds a public key") }
            case .missing:
                expected = { .unreadable(path: $0, reason: "No such file or directory") }
            case .emptyFile:
                _ = try directory.write("key.pem", [])
                expected = { .notAPrivateKey(path: $0, reason: "it holds no PEM block") }
            }
            let error = #expect(throws: SigningKeyError.self) {
                try SigningKeyLoader.load(path: path, passphrase: passphrase)
            }
            #expect(error == expected(path))
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains(path))
            #expect(!text.contains("\n"))
            #expect(!text.contains(KeyMaking.passphrase))
        }
    }

    @Test("the passphrase file loses one final newline and nothing else; a directory is refused by name")
    func passphraseFile() throws {
        let directory = try TemporaryDirectory(label: "pass")
        defer { directory.remove() }
        for (content, expected) in [("secret\n", "secret"), ("secret\r\n", "secret"), ("secret", "secret"), (" secret \n\n", " secret \n")]
        {
            let path = try directory.write("pass", Array(content.utf8))
            #expect(try SigningKeyLoader.passphrase(fromFile: path) == Array(expected.utf8))
        }
        #expect(throws: SigningKeyError.passphraseFileUnusable(path: directory.path, reason: "it is a directory, not a regular file")) {
            try SigningKeyLoader.passphrase(fromFile: directory.path)
        }
    }
}
