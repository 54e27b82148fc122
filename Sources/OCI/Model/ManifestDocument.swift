import JSON

/// Manifest or index bytes as read (and verified) from a transport. The bytes are kept as they are:
/// a manifest we don't change is written back byte for byte, so its digest is unchanged.
public struct ManifestBlob: Sendable {
    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest

    public init(bytes: [UInt8], mediaType: String) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = .sha256(of: bytes)
    }

    public init(bytes: [UInt8], mediaType: String, digest: Digest) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = digest
    }

    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }
}

public struct ImageManifest: Sendable {
    public var json: JSONObject
    public let mediaType: String
    public let config: Descriptor
    public let layers: [Descriptor]
}

public struct ImageIndex: Sendable {
    public var json: JSONObject
    public let mediaType: String
    public let manifests: [Descriptor]
}

public enum ManifestDocument: Sendable {
    case index(ImageIndex)
    case manifest(ImageManifest)

    /// Parses and validates a manifest or index. `place` names it in errors ("manifest sha256:… in oci:app").
    public static func parse(_ blob: ManifestBlob, place: String) throws -> ManifestDocument {
        if MediaType.isSchema1(blob.mediaType) { throw OCIError.schema1(place) }
        let value: JSONValue
        do { value = try JSONValue(parsing: blob.bytes) } catch { throw OCIError.malformed(place, "\(error)") }
        guard let object = value.objectValue else { throw OCIError.malformed(place, "a manifest must be a JSON object") }
        if object["schemaVersion"]?.int64Value == 1 { throw OCIError.schema1(place) }
        guard object["schemaVersion"]?.int64Value == 2 else {
            throw OCIError.malformed(place, "schemaVersion must be 2")
        }
        // The mediaType field, when present, must agree with what the transport said it was.
        let declared = object["mediaType"]?.stringValue
        var mediaType = declared ?? blob.mediaType
        if mediaType.isEmpty || (!MediaType.isIndex(mediaType) && !MediaType.isManifest(mediaType)) {
            // OCI allows omitting mediaType; tell index from manifest by shape.
            if declared == nil && object["manifests"] != nil {
                mediaType = MediaType.ociIndex
            } else if declared == nil && object["config"] != nil {
                mediaType = MediaType.ociManifest
            }
        }
        if MediaType.isSchema1(mediaType) { throw OCIError.schema1(place) }
        if let declared, !blob.mediaType.isEmpty, declared != blob.mediaType,
            MediaType.isIndex(blob.mediaType) || MediaType.isManifest(blob.mediaType)
        {
            throw OCIError.malformed(place, "its mediaType \(declared) contradicts its descriptor's \(blob.mediaType)")
        }
        if MediaType.isIndex(mediaType) {
            guard let entries = object["manifests"]?.arrayValue else {
                throw OCIError.malformed(place, "an index needs a manifests array")
            }
            guard entries.count <= Limits.maxIndexEntries else {
                throw OCIError.malformed(place, "it has \(entries.count) entries, more than \(Limits.maxIndexEntries)")
            }
            let manifests = try entries.enumerated().map { i, entry in
                try Descriptor(json: entry, place: "\(place), manifests[\(i)]")
            }
            return .index(ImageIndex(json: object, mediaType: mediaType, manifests: manifests))
        }
        if MediaType.isManifest(mediaType) {
            guard let config = object["config"] else { throw OCIError.malformed(place, "a manifest needs a config") }
            let configDescriptor = try Descriptor(json: config, place: "\(place), config")
            let layerValues = object["layers"]?.arrayValue ?? []
            guard layerValues.count <= Limits.maxLayers else {
                throw OCIError.malformed(place, "it has \(layerValues.count) layers, more than \(Limits.maxLayers)")
            }
            let layers = try layerValues.enumerated().map { i, layer in
                try Descriptor(json: layer, place: "\(place), layers[\(i)]")
            }
            return .manifest(ImageManifest(json: object, mediaType: mediaType, config: configDescriptor, layers: layers))
        }
        throw OCIError.unsupportedMediaType(place, mediaType)
    }
}
