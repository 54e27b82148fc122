import Attestation
import Hashing
import JSON
import OCI

/// What the attestation harnesses sign with: a P-256 key whose private scalar is the bytes 1 to 32,
/// built here rather than kept as a key file; it signs nothing but fuzz inputs. Made once.
enum FuzzSigningKey {
    static let key: ECDSAP256PrivateKey = {
        // PKCS#8 of an ECPrivateKey without its public key, which libcrypto derives from the scalar.
        let prefix: [UInt8] = [
            0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
            0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
        ]
        do { return try ECDSAP256PrivateKey(der: prefix + Array(1...32), name: "the fuzz key") } catch {
            fatalError("the fuzz key does not load: \(error)")
        }
    }()
}

/// Any bytes as the manifest already under a `sha256-<hex>.sig` tag (read from a registry, so
/// untrusted): refused, or the fixed layer is added once. The result reads back, keeps every layer
/// it was given, and adding the same layer to it again adds nothing.
enum CosignSignatureHarness {
    static let subject = Digest.sha256(of: Array("the fuzzed image".utf8))
    static let layer = CosignSignature.Layer(
        payload: CosignSignature.payload(dockerReference: "registry.example/fuzz/app", manifestDigest: subject),
        key: FuzzSigningKey.key)

    static func run(_ input: [UInt8]) throws {
        let publicKey = FuzzSigningKey.key.publicKey
        guard let first = try? CosignSignature.adding(layer, publicKey: publicKey, to: input) else { return }
        let written = JSONHarness.text(first.manifest)
        try require(first.configDescriptor.digest == .sha256(of: first.config), "the config descriptor does not name the config")
        let layers = try Self.layers(of: first.manifest, written: written)
        try require(layers.contains(layer.descriptor.digest), "the manifest \(written) lacks the added layer")
        if first.added {
            try require(layers.last == layer.descriptor.digest, "the added layer is not last in \(written)")
        }
        // What was pushed is what the next run reads: it must accept it and add nothing.
        let second: CosignSignature.Manifest
        do { second = try CosignSignature.adding(layer, publicKey: publicKey, to: first.manifest) } catch {
            throw FuzzPropertyViolation("the manifest it wrote, \(written), is refused: \(error)")
        }
        try require(!second.added, "the same layer is added twice to \(written)")
        try require(try Self.layers(of: second.manifest, written: written) == layers, "adding nothing changed the layers of \(written)")
    }

    /// The digests of the layers of a manifest the code under test wrote.
    private static func layers(of manifest: [UInt8], written: String) throws -> [Digest] {
        guard let value = try? JSONValue(parsing: manifest), let layers = value["layers"]?.arrayValue else {
            throw FuzzPropertyViolation("the manifest it wrote, \(written), has no layers array")
        }
        return try layers.map { element in
            guard let descriptor = try? Descriptor(json: element, place: "a written layer") else {
                throw FuzzPropertyViolation("a layer of \(written) is not a descriptor")
            }
            return descriptor.digest
        }
    }
}

/// Any bytes as the image index under a referrers fallback tag (or a referrers API answer): refused,
/// or listed and updated. An update lists the new artifact once, keeps the other entries, and a
/// second update changes nothing.
enum ReferrersIndexHarness {
    static let artifactType = "application/spdx+json"
    /// A descriptor of an artifact, as `ArtifactManifest` makes them (the digest is of "fuzz artifact").
    static let descriptor: Descriptor = {
        let json = JSONValue.object(
            JSONObject([
                ("mediaType", .string(MediaType.ociManifest)),
                ("digest", .string(Digest.sha256(of: Array("fuzz artifact".utf8)).description)),
                ("size", .integer(512)),
                ("artifactType", .string(artifactType)),
            ]))
        do { return try Descriptor(json: json, place: "the fuzz artifact") } catch { fatalError("the fuzz artifact descriptor: \(error)") }
    }()

    static func run(_ input: [UInt8]) throws {
        if let all = try? ReferrersIndex.entries(of: input) {
            let filtered: [Descriptor]
            do { filtered = try ReferrersIndex.entries(of: input, artifactType: artifactType) } catch {
                throw FuzzPropertyViolation("the index is listed, but refused when filtered: \(error)")
            }
            try require(filtered.count <= all.count, "filtering by artifactType lists more entries than there are")
            for entry in filtered {
                try require(entry.json["artifactType"]?.stringValue == artifactType, "the filter keeps an entry of another artifactType")
            }
        }
        guard let update = try? ReferrersIndex.adding(descriptor, to: input) else { return }
        let written = JSONHarness.text(update.index)
        if !update.changed { try require(update.index == input, "an unchanged index was rewritten") }
        let entries: [Descriptor]
        do { entries = try ReferrersIndex.entries(of: update.index) } catch {
            throw FuzzPropertyViolation("the index it wrote, \(written), cannot be listed: \(error)")
        }
        try require(entries.contains { $0.digest == descriptor.digest }, "the index \(written) lacks the added artifact")
        if update.changed {
            let before = (try? ReferrersIndex.entries(of: input)) ?? []
            try require(entries.count == before.count + 1, "the update of \(written) did not keep the other entries")
            try require(
                entries.filter { $0.digest == descriptor.digest }.count == 1, "the index \(written) lists the added artifact twice")
        }
        let again: ReferrersIndex.Update
        do { again = try ReferrersIndex.adding(descriptor, to: update.index) } catch {
            throw FuzzPropertyViolation("the index it wrote, \(written), is refused: \(error)")
        }
        try require(!again.changed && again.index == update.index, "a second update of \(written) changed it")
    }
}

/// Any bytes as a DSSE envelope (`inspect` reads them from a registry): refused, or parsed into
/// values that, written as an envelope again, parse to the same envelope. Signing a parsed payload
/// gives an envelope that verifies.
enum DSSEEnvelopeHarness {
    static func run(_ input: [UInt8]) throws {
        guard let envelope = try? DSSE.Envelope(parsing: input, place: "the fuzzed envelope") else { return }
        try require((1...64).contains(envelope.signatures.count), "an envelope parsed with \(envelope.signatures.count) signatures")
        _ = envelope.isSigned(by: FuzzSigningKey.key.publicKey)
        let rewritten = JSONValue.object(
            JSONObject([
                ("payload", .string(Base64.encode(envelope.payload))),
                ("payloadType", .string(envelope.payloadType)),
                (
                    "signatures",
                    .array(
                        envelope.signatures.map {
                            .object(JSONObject([("keyid", .string($0.keyID)), ("sig", .string(Base64.encode($0.signature)))]))
                        })
                ),
            ])
        ).serialized()
        let again: DSSE.Envelope
        do { again = try DSSE.Envelope(parsing: rewritten, place: "the rewritten envelope") } catch {
            throw FuzzPropertyViolation("the envelope written again, \(JSONHarness.text(rewritten)), is refused: \(error)")
        }
        try require(again == envelope, "the envelope written again, \(JSONHarness.text(rewritten)), parses to another envelope")

        let signed = DSSE.envelope(payload: envelope.payload, payloadType: envelope.payloadType, key: FuzzSigningKey.key)
        guard let ours = try? DSSE.Envelope(parsing: signed, place: "the signed envelope") else {
            throw FuzzPropertyViolation("an envelope it signed, \(JSONHarness.text(signed)), is refused")
        }
        try require(
            ours.payload == envelope.payload && ours.payloadType == envelope.payloadType, "signing changed the payload or its type")
        try require(ours.isSigned(by: FuzzSigningKey.key.publicKey), "an envelope it signed does not verify")
    }
}

/// Any bytes as a `--sign-key` file, read with a fixed passphrase: refused with an error that never
/// shows the passphrase, or a P-256 key whose signatures verify with its public key.
enum SigningKeyHarness {
    /// The passphrase the seed corpus's encrypted keys use (public: it guards only fuzz inputs).
    static let passphrase = "fuzz-passphrase-4417"

    static func run(_ input: [UInt8]) throws {
        let key: ECDSAP256PrivateKey
        do {
            key = try SigningKeyLoader.load(pem: input, passphrase: Array(passphrase.utf8), name: "fuzz.key")
        } catch {
            try require(!"\(error)".contains(passphrase), "an error shows the passphrase")
            return
        }
        try require(
            !"\(key)".contains(passphrase) && !String(reflecting: key).contains(passphrase), "the key's description shows the passphrase")
        let message = Array("a message".utf8)
        try require(
            key.publicKey.verify(signature: key.sign(message), message: message), "a signature does not verify with the key's public key")
        try require(ECDSAP256PublicKey(pem: Array(key.publicKey.pem.utf8)) == key.publicKey, "the public key's PEM does not read back")
    }
}
