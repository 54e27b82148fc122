import Hashing
import JSON

/// Dead Simple Signing Envelope (DSSE v1): the signature covers PAE(payloadType, payload), never the
/// payload alone, so a payload cannot be reinterpreted as another type.
public enum DSSE {
    public static let envelopeMediaType = "application/vnd.dsse.envelope.v1+json"
    public static let inTotoPayloadType = "application/vnd.in-toto+json"
    /// Envelopes read back (by `inspect`) are bounded like manifests.
    public static let envelopeLimit = 16 << 20

    /// `DSSEv1 SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal bytes.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        var out = Array("DSSEv1 \(payloadType.utf8.count) ".utf8)
        out.append(contentsOf: payloadType.utf8)
        out.append(contentsOf: " \(payload.count) ".utf8)
        out.append(contentsOf: payload)
        return out
    }

    /// The envelope JSON, signed with `key`. The keyid is the SHA-256 of the public key's DER (SPKI),
    /// hex; verifiers that match on keyid (securesystemslib) are given that id.
    public static func envelope(payload: [UInt8], payloadType: String, key: ECDSAP256PrivateKey) -> [UInt8] {
        let signature = key.sign(pae(payloadType: payloadType, payload: payload))
        let entry = JSONObject([("keyid", .string(key.publicKey.fingerprint)), ("sig", .string(Base64.encode(signature)))])
        return JSONValue.object(
            JSONObject([
                ("payload", .string(Base64.encode(payload))),
                ("payloadType", .string(payloadType)),
                ("signatures", .array([.object(entry)])),
            ])
        ).serialized()
    }

    /// A parsed envelope (untrusted).
    public struct Envelope: Sendable, Equatable {
        public let payload: [UInt8]
        public let payloadType: String
        public let signatures: [(keyID: String, signature: [UInt8])]

        public init(parsing bytes: [UInt8], place: String) throws(AttestationError) {
            guard bytes.count <= DSSE.envelopeLimit else { throw .tooLarge(place: place, limit: DSSE.envelopeLimit) }
            let value: JSONValue
            do { value = try JSONValue(parsing: bytes, maxDepth: 8) } catch { throw .malformed(place: place, reason: "\(error)") }
            guard let payload = value["payload"]?.stringValue.flatMap({ Base64.decode($0) }) else {
                throw .malformed(place: place, reason: "payload is not base64")
            }
            guard let payloadType = value["payloadType"]?.stringValue else {
                throw .malformed(place: place, reason: "payloadType is missing")
            }
            guard let list = value["signatures"]?.arrayValue, !list.isEmpty, list.count <= 64 else {
                throw .malformed(place: place, reason: "signatures must be a list of 1 to 64 entries")
            }
            var signatures = [(keyID: String, signature: [UInt8])]()
            for entry in list {
                guard let signature = entry["sig"]?.stringValue.flatMap({ Base64.decode($0) }) else {
                    throw .malformed(place: place, reason: "a signature's sig is not base64")
                }
                signatures.append((entry["keyid"]?.stringValue ?? "", signature))
            }
            self.payload = payload
            self.payloadType = payloadType
            self.signatures = signatures
        }

        /// True when one of the signatures verifies with `publicKey`.
        public func isSigned(by publicKey: ECDSAP256PublicKey) -> Bool {
            let message = DSSE.pae(payloadType: payloadType, payload: payload)
            return signatures.contains { publicKey.verify(signature: $0.signature, message: message) }
        }

        public static func == (lhs: Envelope, rhs: Envelope) -> Bool {
            lhs.payload == rhs.payload && lhs.payloadType == rhs.payloadType
                && lhs.signatures.map(\.keyID) == rhs.signatures.map(\.keyID)
                && lhs.signatures.map(\.signature) == rhs.signatures.map(\.signature)
        }
    }
}
