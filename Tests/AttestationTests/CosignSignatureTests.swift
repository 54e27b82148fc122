import Attestation
import Foundation
import Hashing
import JSON
import OCI
import TestTools
import Testing

@Suite("Attestation: cosign simple-signing signatures")
struct CosignSignatureTests {
    static let digest = Digest.sha256(of: Array("a platform manifest".utf8))

    static func loadKey(_ directory: TemporaryDirectory) async throws -> (ECDSAP256PrivateKey, String) {
        let (path, publicPath) = try await KeyMaking.make(.pkcs8, in: directory)
        return (try SigningKeyLoader.load(path: path, passphrase: nil), publicPath)
    }

    @Test("the payload is cosign's simple-signing JSON, byte for byte")
    func payload() {
        let payload = CosignSignature.payload(
            dockerReference: "registry.example:5000/team/app", manifestDigest: Self.digest,
            optional: ["b": "2", "a": "1"])
        let expected =
            #"{"critical":{"identity":{"docker-reference":"registry.example:5000/team/app"},"image":{"docker-manifest-digest":"\#(Self.digest)"},"type":"cosign container image signature"},"optional":{"a":"1","b":"2"}}"#
        #expect(String(decoding: payload, as: UTF8.self) == expected)
        #expect(CosignSignature.tag(for: Self.digest) == "sha256-\(Self.digest.hex).sig")
    }

    @Test("the signature in the layer annotation verifies with pyca/cryptography; not with another key, not after a payload byte changes")
    func layerVerifies() async throws {
        try await TemporaryDirectory.with("sig") { directory in
            let (key, publicPath) = try await Self.loadKey(directory)
            let other = try TemporaryDirectory(label: "sig-other")
            defer { other.remove() }
            let (_, otherPublicPath) = try await KeyMaking.make(.pkcs8, in: other)
            let payload = CosignSignature.payload(dockerReference: "r.example/app", manifestDigest: Self.digest)
            let layer = CosignSignature.Layer(payload: payload, key: key)
            let manifest = try CosignSignature.adding(layer, publicKey: key.publicKey, to: nil)
            #expect(manifest.added)

            // Read the manifest the way a verifier does: find the layer, take the annotation, fetch the payload by digest.
            let document = try JSONValue(parsing: manifest.manifest)
            let layers = try #require(document["layers"]?.arrayValue)
            #expect(layers.count == 1)
            #expect(layers[0]["mediaType"]?.stringValue == "application/vnd.dev.cosign.simplesigning.v1+json")
            #expect(layers[0]["digest"]?.stringValue == Digest.sha256(of: payload).description)
            #expect(layers[0]["size"]?.int64Value == Int64(payload.count))
            let signature = try #require(layers[0]["annotations"]?["dev.cosignproject.cosign/signature"]?.stringValue)
            #expect(document["config"]?["digest"]?.stringValue == Digest.sha256(of: manifest.config).description)
            #expect(document["mediaType"]?.stringValue == MediaType.ociManifest)

            let payloadPath = try directory.write("payload", payload)
            #expect(try await Tools.python(pythonVerifyECDSA, [publicPath, payloadPath, signature]).stdout == "valid\n")
            #expect(try await Tools.python(pythonVerifyECDSA, [otherPublicPath, payloadPath, signature]).stdout == "invalid\n")
            var changed = payload
            changed[changed.count / 2] ^= 0x20
            let changedPath = try directory.write("changed", changed)
            #expect(try await Tools.python(pythonVerifyECDSA, [publicPath, changedPath, signature]).stdout == "invalid\n")
        }
    }

    @Test("signing again adds a layer beside other signers' and keeps their fields; our own signature of the same payload is recognised")
    func addsLayers() async throws {
        try await TemporaryDirectory.with("sig-add") { directory in
            let (key, _) = try await Self.loadKey(directory)
            let other = try TemporaryDirectory(label: "sig-add-other")
            defer { other.remove() }
            let otherKey = try SigningKeyLoader.load(path: try await KeyMaking.make(.pkcs8, in: other).key, passphrase: nil)
            let payload = CosignSignature.payload(dockerReference: "r.example/app", manifestDigest: Self.digest)

            let first = try CosignSignature.adding(
                CosignSignature.Layer(payload: payload, key: otherKey), publicKey: otherKey.publicKey, to: nil)
            // Someone else's manifest may carry fields and annotations of its own (a Rekor bundle, say).
            var edited = try JSONValue(parsing: first.manifest).objectValue!
            var layers = edited["layers"]!.arrayValue!
            var layer0 = layers[0].objectValue!
            var annotations = layer0["annotations"]!.objectValue!
            annotations["dev.sigstore.cosign/bundle"] = .string("{}")
            layer0["annotations"] = .object(annotations)
            layers[0] = .object(layer0)
            edited["layers"] = .array(layers)
            edited["annotations"] = .object(JSONObject([("org.example/kept", .string("yes"))]))
            let existing = JSONValue.object(edited).serialized()

            let second = try CosignSignature.adding(
                CosignSignature.Layer(payload: payload, key: key), publicKey: key.publicKey, to: existing)
            #expect(second.added)
            let secondDocument = try JSONValue(parsing: second.manifest)
            let secondLayers = try #require(secondDocument["layers"]?.arrayValue)
            #expect(secondLayers.count == 2)
            #expect(secondLayers[0] == layers[0])
            #expect(secondDocument["annotations"]?["org.example/kept"]?.stringValue == "yes")
            let config = try JSONValue(parsing: second.config)
            #expect(config["rootfs"]?["diff_ids"]?.arrayValue?.count == 2)

            let third = try CosignSignature.adding(
                CosignSignature.Layer(payload: payload, key: key), publicKey: key.publicKey, to: second.manifest)
            #expect(!third.added)
            #expect(try JSONValue(parsing: third.manifest)["layers"]?.arrayValue?.count == 2)

            let otherPayload = CosignSignature.payload(dockerReference: "r.example/app", manifestDigest: .sha256(of: [1]))
            let fourth = try CosignSignature.adding(
                CosignSignature.Layer(payload: otherPayload, key: key), publicKey: key.publicKey, to: second.manifest)
            #expect(fourth.added)
            #expect(try JSONValue(parsing: fourth.manifest)["layers"]?.arrayValue?.count == 3)
        }
    }

    @Test(
        "an existing signature manifest that is not one is refused, not overwritten",
        arguments: [
            #"[]"#, #"{"schemaVersion":1}"#, #"{"schemaVersion":2,"layers":{}}"#,
            #"{"schemaVersion":2,"layers":[{"mediaType":"x","digest":"sha256:00","size":1}]}"#,
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#, "{", "",
        ])
    func refusesMalformed(existing: String) async throws {
        try await TemporaryDirectory.with("sig-bad") { directory in
            let (key, _) = try await Self.loadKey(directory)
            let layer = CosignSignature.Layer(payload: [1, 2, 3], key: key)
            #expect(throws: AttestationError.self) {
                try CosignSignature.adding(layer, publicKey: key.publicKey, to: Array(existing.utf8))
            }
            let huge = Array(#"{"schemaVersion":2,"x":""#.utf8) + [UInt8](repeating: 0x61, count: Limits.manifestBytes) + Array(#""}"#.utf8)
            #expect(throws: AttestationError.tooLarge(place: "the signature manifest", limit: Limits.manifestBytes)) {
                try CosignSignature.adding(layer, publicKey: key.publicKey, to: huge)
            }
        }
    }
}
