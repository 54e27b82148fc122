import Attestation
import Foundation
import Hashing
import TestTools
import Testing

@Suite("Attestation: NaCl secretbox and scrypt (cosign's key encryption)")
struct SecretBoxTests {
    @Test("boxes sealed by PyNaCl (libsodium) open, and one flipped byte anywhere makes them fail")
    func pynaclBoxes() async throws {
        let script = """
            import os, json, nacl.secret
            cases = []
            for length in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 4097]:
                key, nonce, message = os.urandom(32), os.urandom(24), os.urandom(length)
                box = nacl.secret.SecretBox(key).encrypt(message, nonce).ciphertext
                cases.append({"key": key.hex(), "nonce": nonce.hex(), "box": box.hex(), "message": message.hex()})
            print(json.dumps(cases))
            """
        let output = try await Tools.python(script).stdout
        let cases = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [[String: String]]
        #expect(cases.count == 17)
        for testCase in cases {
            let key = bytes(hex: testCase["key"]!)
            let nonce = bytes(hex: testCase["nonce"]!)
            let box = bytes(hex: testCase["box"]!)
            let message = bytes(hex: testCase["message"]!)
            #expect(SecretBox.open(box, nonce: nonce, key: key) == message, "length \(message.count)")
            for position in Set([0, 15, 16, box.count - 1]) where position < box.count {
                var damaged = box
                damaged[position] ^= 0x80
                #expect(SecretBox.open(damaged, nonce: nonce, key: key) == nil, "flipped byte \(position) of \(box.count)")
            }
            var otherNonce = nonce
            otherNonce[23] ^= 1
            #expect(SecretBox.open(box, nonce: otherNonce, key: key) == nil)
        }
    }

    /// go-securesystemslib's `encrypted` package test vector (TestDecrypt): passphrase "supersecret",
    /// plaintext "reallyimportant", written by the Go implementation cosign uses.
    @Test("go-securesystemslib's published vector decrypts with scrypt and secretbox")
    func securesystemslibVector() throws {
        let salt = Base64.decode("N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g=")!
        let nonce = Base64.decode("2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik")!
        let ciphertext = Base64.decode("SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ==")!
        let key = try Scrypt.deriveKey(passphrase: Array("supersecret".utf8), salt: salt, n: 32768, r: 8, p: 1, length: 32)
        #expect(SecretBox.open(ciphertext, nonce: nonce, key: key) == Array("reallyimportant".utf8))
        let wrongKey = try Scrypt.deriveKey(passphrase: Array("supersecreT".utf8), salt: salt, n: 32768, r: 8, p: 1, length: 32)
        #expect(SecretBox.open(ciphertext, nonce: nonce, key: wrongKey) == nil)
    }

    @Test("scrypt agrees with Python's hashlib.scrypt")
    func scryptMatchesHashlib() async throws {
        let salt = (0..<32).map { UInt8($0 &* 7 &+ 3) }
        let ours = try Scrypt.deriveKey(passphrase: Array("pässword".utf8), salt: salt, n: 1024, r: 8, p: 2, length: 48)
        let script = """
            import sys, hashlib
            print(hashlib.scrypt("pässword".encode(), salt=bytes.fromhex(sys.argv[1]), n=1024, r=8, p=2, dklen=48).hex())
            """
        #expect(try await Tools.python(script, [hex(salt)]).stdout == hex(ours) + "\n")
    }

    @Test(
        "scrypt parameters from a key file are bounded before memory is taken",
        arguments: [
            (UInt64(1000), UInt64(8), UInt64(1)), (1 << 25, 8, 1), (1 << 20, 8, 1), (1024, 0, 1), (1024, 8, 0), (1024, 65, 1),
        ])
    func scryptBounds(n: UInt64, r: UInt64, p: UInt64) {
        #expect(throws: Scrypt.Failure.self) {
            try Scrypt.deriveKey(passphrase: [], salt: [1, 2, 3, 4, 5, 6, 7, 8], n: n, r: r, p: p, length: 32)
        }
    }
}
