import Hashing
import JSON
import OCI

/// cosign's "simple signing" format, which Kyverno, the sigstore policy-controller, Connaisseur and
/// containers/image read: the tag `sha256-<hex>.sig` holds an OCI manifest whose layers are signed
/// payloads, each with its base64 DER ECDSA signature in an annotation.
public enum CosignSignature {
    public static let layerMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    public static let payloadTypeName = "cosign container image signature"

    /// `sha256-<hex>.sig`: where cosign looks for the signatures of the manifest with this digest.
    public static func tag(for digest: Digest) -> String { "\(digest.algorithm.rawValue)-\(digest.hex).sig" }

    /// The payload that is signed. `dockerReference` is `HOST/REPO` without tag or digest (what
    /// `cosign verify` compares with the reference it was given). Optional entries are sorted, so a
    /// payload depends only on its inputs.
    public static func payload(dockerReference: String, manifestDigest: Digest, optional: [String: String] = [:]) -> [UInt8] {
        let critical = JSONObject([
            ("identity", .object(JSONObject([("docker-reference", .string(dockerReference))]))),
            ("image", .object(JSONObject([("docker-manifest-digest", .string(manifestDigest.description))]))),
            ("type", .string(payloadTypeName)),
        ])
        let optionalObject = JSONObject(optional.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        return JSONValue.object(JSONObject([("critical", .object(critical)), ("optional", .object(optionalObject))])).serialized()
    }

    /// A signed payload, ready to be a layer of the signature manifest.
    public struct Layer: Sendable {
        public let payload: [UInt8]
        public let signature: [UInt8]
        public let descriptor: Descriptor

        public init(payload: [UInt8], key: ECDSAP256PrivateKey) {
            self.payload = payload
            signature = key.sign(payload)
            descriptor = Descriptor(
                mediaType: CosignSignature.layerMediaType, digest: .sha256(of: payload),
                size: Int64(payload.count),
                annotations: [(CosignSignature.signatureAnnotation, Base64.encode(signature))])
        }
    }

    /// What to push to the `.sig` tag: the payload blob, the config blob and the manifest, in that order.
    public struct Manifest: Sendable {
        public let manifest: [UInt8]
        public let config: [UInt8]
        public let configDescriptor: Descriptor
        /// False when the tag already held a signature of the same payload by the same key; then
        /// nothing needs to be pushed.
        public let added: Bool
        public var digest: Digest { .sha256(of: manifest) }
    }

    /// The signature manifest with `layer` added to the signatures already under the tag (`existing`,
    /// the manifest read from the registry, untrusted; nil when the tag does not exist), as cosign
    /// does: other signers' layers stay. A layer with the same payload whose signature verifies with
    /// `layer`'s key counts as already signed (ECDSA signatures differ each time, so bytes cannot be compared).
    public static func adding(
        _ layer: Layer, publicKey: ECDSAP256PublicKey, to existing: [UInt8]?,
        place: String = "the signature manifest"
    ) throws(AttestationError) -> Manifest {
        var object = JSONObject([("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociManifest))])
        var layers = [Descriptor]()
        if let existing {
            object = try parseUntrustedObject(existing, place: place)
            if let type = object["mediaType"]?.stringValue, !MediaType.isManifest(type) {
                throw .malformed(place: place, reason: "its mediaType \(type.debugDescription) is not an image manifest")
            }
            layers = try descriptors(object, field: "layers", place: place, limit: Limits.maxLayers)
        }
        let alreadySigned = layers.contains { candidate in
            guard candidate.mediaType == layerMediaType, candidate.digest == layer.descriptor.digest,
                let text = candidate.annotation(signatureAnnotation), let signature = Base64.decode(text)
            else { return false }
            return publicKey.verify(signature: signature, message: layer.payload)
        }
        if !alreadySigned {
            guard layers.count < Limits.maxLayers else { throw .tooManyEntries(place: place, limit: Limits.maxLayers) }
            layers.append(layer.descriptor)
        }
        let config = configBlob(layers: layers)
        let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: .sha256(of: config), size: Int64(config.count))
        object["config"] = configDescriptor.jsonValue
        object["layers"] = .array(layers.map(\.jsonValue))
        return Manifest(
            manifest: JSONValue.object(object).serialized(), config: config,
            configDescriptor: configDescriptor, added: !alreadySigned)
    }

    /// The config cosign (through go-containerregistry) writes: an empty image whose diff_ids are
    /// the payload digests (payloads are not compressed), with one history entry per layer.
    static func configBlob(layers: [Descriptor]) -> [UInt8] {
        let epoch = JSONValue.string("0001-01-01T00:00:00Z")
        let rootfs = JSONObject([
            ("type", .string("layers")),
            ("diff_ids", .array(layers.map { .string($0.digest.description) })),
        ])
        return JSONValue.object(
            JSONObject([
                ("architecture", .string("")),
                ("created", epoch),
                ("history", .array(layers.map { _ in .object(JSONObject([("created", epoch)])) })),
                ("os", .string("")),
                ("rootfs", .object(rootfs)),
                ("config", .object(JSONObject())),
            ])
        ).serialized()
    }
}
