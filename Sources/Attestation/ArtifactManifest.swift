import JSON
import OCI

/// An OCI 1.1 artifact: an image manifest with `artifactType`, the empty config, one layer holding
/// the document, and `subject` pointing at the platform manifest it is about. Registries with the
/// referrers API list it under the subject; others are told through `ReferrersIndex`.
public struct ArtifactManifest: Sendable {
    public static let emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
    /// The empty config blob is `{}`; its digest is fixed (sha256:44136fa3…), and registries share it.
    public static let emptyConfig: [UInt8] = Array("{}".utf8)
    public static let emptyConfigDescriptor = Descriptor(mediaType: emptyConfigMediaType, digest: .sha256(of: emptyConfig), size: 2)

    public static let spdxArtifactType = SBOMBuilder.spdxMediaType
    public static let cycloneDXArtifactType = SBOMBuilder.cycloneDXMediaType
    public static let inTotoArtifactType = InTotoStatement.mediaType

    public let artifactType: String
    /// Push `layer` (the document), the empty config, then `manifest`.
    public let manifest: [UInt8]
    public let layer: [UInt8]
    public let layerDescriptor: Descriptor
    /// The descriptor that names this artifact in a referrers index: with artifactType and annotations.
    public let descriptor: Descriptor

    /// - Parameters:
    ///   - documentMediaType: the layer's media type: the artifact type itself, or
    ///     `application/vnd.dsse.envelope.v1+json` for a signed statement.
    ///   - subject: the platform manifest's descriptor (media type, digest, size; nothing else is kept).
    ///   - annotations: e.g. `org.opencontainers.image.created`; written sorted.
    public init(
        artifactType: String, document: [UInt8], documentMediaType: String, subject: Descriptor,
        annotations: [String: String] = [:]
    ) {
        let sortedAnnotations = annotations.sorted { $0.key < $1.key }
        self.artifactType = artifactType
        layer = document
        layerDescriptor = Descriptor(mediaType: documentMediaType, digest: .sha256(of: document), size: Int64(document.count))
        let subjectDescriptor = Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        var object = JSONObject([
            ("schemaVersion", .integer(2)),
            ("mediaType", .string(MediaType.ociManifest)),
            ("artifactType", .string(artifactType)),
            ("config", Self.emptyConfigDescriptor.jsonValue),
            ("layers", .array([layerDescriptor.jsonValue])),
            ("subject", subjectDescriptor.jsonValue),
        ])
        if !sortedAnnotations.isEmpty {
            object["annotations"] = .object(JSONObject(sortedAnnotations.map { ($0.key, JSONValue.string($0.value)) }))
        }
        manifest = JSONValue.object(object).serialized()

        var entry = JSONObject([
            ("mediaType", .string(MediaType.ociManifest)),
            ("digest", .string(Digest.sha256(of: manifest).description)),
            ("size", .integer(manifest.count)),
            ("artifactType", .string(artifactType)),
        ])
        if !sortedAnnotations.isEmpty {
            entry["annotations"] = .object(JSONObject(sortedAnnotations.map { ($0.key, JSONValue.string($0.value)) }))
        }
        // Built from valid parts, so reading it back cannot fail.
        descriptor = try! Descriptor(json: .object(entry), place: "the artifact descriptor")
    }

    public var digest: Digest { descriptor.digest }
}

/// The referrers tag schema (OCI distribution 1.1, for registries without the referrers API): the
/// tag `sha256-<hex>` of the subject's digest holds an image index listing the artifacts that refer
/// to it. Others (cosign, oras, notation) write the same index, so updates keep their entries.
public enum ReferrersIndex {
    public static func fallbackTag(for subject: Digest) -> String { "\(subject.algorithm.rawValue)-\(subject.hex)" }

    public struct Update: Sendable {
        public let index: [UInt8]
        /// False when the descriptor was already listed: nothing needs to be pushed.
        public let changed: Bool
        public var digest: Digest { .sha256(of: index) }
    }

    /// The index with `descriptor` added to `existing` (the index under the fallback tag, untrusted;
    /// nil when the tag does not exist). An entry with the same digest is not added twice; other
    /// entries and unknown fields are kept as they were.
    public static func adding(
        _ descriptor: Descriptor, to existing: [UInt8]?,
        place: String = "the referrers index"
    ) throws(AttestationError) -> Update {
        var object = JSONObject([("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociIndex))])
        var entries = [Descriptor]()
        if let existing {
            object = try parseUntrustedObject(existing, place: place, limit: Limits.indexJSONBytes)
            if let type = object["mediaType"]?.stringValue, type != MediaType.ociIndex {
                throw .malformed(place: place, reason: "its mediaType \(type.debugDescription) is not an OCI image index")
            }
            entries = try descriptors(object, field: "manifests", place: place, limit: Limits.maxIndexEntries)
        }
        if entries.contains(where: { $0.digest == descriptor.digest }) {
            return Update(index: existing ?? JSONValue.object(object).serialized(), changed: false)
        }
        guard entries.count < Limits.maxIndexEntries else { throw .tooManyEntries(place: place, limit: Limits.maxIndexEntries) }
        entries.append(descriptor)
        object["manifests"] = .array(entries.map(\.jsonValue))
        return Update(index: JSONValue.object(object).serialized(), changed: true)
    }

    /// The entries of a referrers index (the fallback tag's, or the referrers API's answer), optionally
    /// only those of one artifactType, for `inspect`.
    public static func entries(
        of index: [UInt8], artifactType: String? = nil,
        place: String = "the referrers index"
    ) throws(AttestationError) -> [Descriptor] {
        let object = try parseUntrustedObject(index, place: place, limit: Limits.indexJSONBytes)
        let all = try descriptors(object, field: "manifests", place: place, limit: Limits.maxIndexEntries)
        guard let artifactType else { return all }
        return all.filter { $0.json["artifactType"]?.stringValue == artifactType }
    }
}
