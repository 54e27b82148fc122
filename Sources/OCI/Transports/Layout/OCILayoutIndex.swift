import IOFoundation
import JSON

/// The `index.json` of an OCI layout, with tag lookup by `org.opencontainers.image.ref.name`.
struct OCILayoutIndex {
    static let refNameAnnotation = "org.opencontainers.image.ref.name"

    var json: JSONObject
    var entries: [Descriptor]

    static func blobPath(_ directory: String, _ digest: Digest) -> String {
        "\(directory)/blobs/\(digest.algorithm.rawValue)/\(digest.hex)"
    }

    static func read(directory: String, reference: String) throws -> OCILayoutIndex {
        let layoutFile = "\(directory)/oci-layout"
        guard FileSystem.exists(layoutFile) else {
            throw OCIError.malformed("\(reference)", "\(layoutFile) is missing, so \(directory) is not an OCI layout")
        }
        _ = try LayoutFile.open(layoutFile, layout: directory, what: "the oci-layout file of \(reference)")
        let place = "\(directory)/index.json"
        guard FileSystem.exists(place) else { throw OCIError.malformed(reference, "\(place) is missing") }
        let file = try LayoutFile.open(place, layout: directory, what: "the index.json of \(reference)")
        guard file.size <= Int64(Limits.indexJSONBytes) else {
            throw OCIError.tooLarge(what: place, limit: Int64(Limits.indexJSONBytes))
        }
        let bytes = try file.readAll(limit: Limits.indexJSONBytes, what: place)
        let blob = ManifestBlob(bytes: bytes, mediaType: MediaType.ociIndex)
        guard case .index(let index) = try ManifestDocument.parse(blob, place: place) else {
            throw OCIError.malformed(place, "it is not an image index")
        }
        return OCILayoutIndex(json: index.json, entries: index.manifests)
    }

    static func empty() -> OCILayoutIndex {
        var json = JSONObject()
        json["schemaVersion"] = .integer(2)
        json["mediaType"] = .string(MediaType.ociIndex)
        json["manifests"] = .array([])
        return OCILayoutIndex(json: json, entries: [])
    }

    var tags: [String] { entries.compactMap { $0.annotation(Self.refNameAnnotation) } }

    func resolve(tag: String?, reference: String) throws -> Descriptor {
        if let tag {
            guard let match = entries.first(where: { $0.annotation(Self.refNameAnnotation) == tag }) else {
                throw OCIError.tagNotFound(reference: reference, tag: tag, available: tags)
            }
            return match
        }
        guard entries.count == 1, let only = entries.first else {
            if entries.isEmpty { throw OCIError.notFound("an image in \(reference) (its index.json is empty)") }
            throw OCIError.ambiguousTag(reference: reference, available: tags)
        }
        return only
    }

    /// Points `tag` at `root`, replacing an entry of the same tag and keeping every other entry.
    mutating func setTag(_ tag: String?, to root: Descriptor) {
        var entry = root
        if let tag {
            entry.setAnnotation(Self.refNameAnnotation, tag)
            entries.removeAll { $0.annotation(Self.refNameAnnotation) == tag }
        } else {
            entries.removeAll { $0.digest == root.digest && $0.annotation(Self.refNameAnnotation) == nil }
        }
        entries.append(entry)
        json["manifests"] = .array(entries.map(\.jsonValue))
    }

    func serialized() -> [UInt8] { JSONValue.object(json).serialized() }
}
