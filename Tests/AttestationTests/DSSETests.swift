import Attestation
import Foundation
import Hashing
import OCI
import TestTools
import Testing

@Suite("Attestation: DSSE envelopes")
struct DSSETests {
    @Test("PAE is the DSSE v1 encoding (the spec's own example)")
    func pae() {
        let encoded = DSSE.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: encoded, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        #expect(DSSE.pae(payloadType: "", payload: []) == Array("DSSEv1 0  0 ".utf8))
        // Lengths count bytes, not characters, in the type as in the payload.
        #expect(DSSE.pae(payloadType: "t", payload: Array("é".utf8)) == Array("DSSEv1 1 t 2 é".utf8))
        #expect(DSSE.pae(payloadType: "tÿ", payload: [0]) == Array("DSSEv1 3 tÿ 1 \0".utf8))
    }

    /// argv: envelope file, public key PEM, keyid; prints the verified payload type, or "rejected".
    static let verifyWithSecuresystemslib = """
        import sys, json
        from cryptography.hazmat.primitives import serialization
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import SSlibKey
        from securesystemslib.exceptions import VerificationError
        envelope = Envelope.from_dict(json.load(open(sys.argv[1])))
        public = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
        key = SSlibKey.from_crypto(public, keyid=sys.argv[3])
        try:
            accepted = envelope.verify([key], 1)
            assert list(accepted) == [sys.argv[3]]
            print(envelope.payload_type)
        except VerificationError:
            print("rejected")
        """

    @Test("securesystemslib verifies the envelope with the public key; another key or a changed payload is rejected")
    func securesystemslibVerifies() async throws {
        try await TemporaryDirectory.with("dsse") { directory in
            let (keyPath, publicPath) = try await KeyMaking.make(.pkcs8, in: directory)
            let key = try SigningKeyLoader.load(path: keyPath, passphrase: nil)
            let other = try TemporaryDirectory(label: "dsse-other")
            defer { other.remove() }
            let (_, otherPublicPath) = try await KeyMaking.make(.pkcs8, in: other)
            let statement = InTotoStatement.statement(
                subjects: [.init(name: "r.example/app", digest: .sha256(of: [7]))],
                predicateType: InTotoStatement.slsaProvenanceV1, predicate: .object(.init()))
            let envelope = DSSE.envelope(payload: statement, payloadType: DSSE.inTotoPayloadType, key: key)
            let envelopePath = try directory.write("envelope.json", envelope)
            // The keyid is the SHA-256 of the DER public key, computed here by Python from openssl's PEM.
            let keyID = try await Tools.python(
                """
                import sys, hashlib
                from cryptography.hazmat.primitives import serialization
                key = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
                print(hashlib.sha256(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest())
                """, [publicPath]
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            let verified = try await Tools.python(Self.verifyWithSecuresystemslib, [envelopePath, publicPath, keyID])
            #expect(verified.stdout == "application/vnd.in-toto+json\n")
            let otherVerdict = try await Tools.python(Self.verifyWithSecuresystemslib, [envelopePath, otherPublicPath, keyID])
            #expect(otherVerdict.stdout == "rejected\n")

            // Change one byte of the payload inside the envelope, keeping the signature.
            let parsed = try DSSE.Envelope(parsing: envelope, place: "the envelope")
            #expect(parsed.payload == statement)
            #expect(parsed.isSigned(by: key.publicKey))
            var changed = statement
            changed[changed.count - 3] ^= 0x01
            let text = String(decoding: envelope, as: UTF8.self)
                .replacingOccurrences(of: Base64.encode(statement), with: Base64.encode(changed))
            let changedPath = try directory.write("changed.json", Array(text.utf8))
            #expect(try await Tools.python(Self.verifyWithSecuresystemslib, [changedPath, publicPath, keyID]).stdout == "rejected\n")
            #expect(try !DSSE.Envelope(parsing: Array(text.utf8), place: "the envelope").isSigned(by: key.publicKey))
        }
    }

    @Test(
        "an envelope that is not one is refused",
        arguments: [
            "", "[]", #"{"payload":"!","payloadType":"t","signatures":[{"sig":"AA=="}]}"#,
            #"{"payload":"AA==","signatures":[{"sig":"AA=="}]}"#, #"{"payload":"AA==","payloadType":"t","signatures":[]}"#,
            #"{"payload":"AA==","payloadType":"t","signatures":[{"sig":"A"}]}"#,
        ])
    func refusesMalformed(text: String) {
        #expect(throws: AttestationError.self) { try DSSE.Envelope(parsing: Array(text.utf8), place: "the envelope") }
    }
}
