import IOFoundation
import JSON

/// `manifest.json` of a `docker save` archive: an array of `{"Config", "RepoTags", "Layers"}`.
/// It is untrusted, so every field must have its type; a wrong one is refused, naming the entry
/// and the field, rather than skipped.
struct DockerArchiveManifest {
    struct Entry {
        var config: String
        var repoTags: [String]
        var layers: [String]
    }

    var entries: [Entry]
    var reference: String

    static func read(directory: String, reference: String) throws -> DockerArchiveManifest {
        let place = "manifest.json in \(reference)"
        let path = "\(directory)/manifest.json"
        guard FileSystem.exists(path) else {
            throw OCIError.malformed(reference, "it has no manifest.json, so it is not a docker-archive (docker save) file")
        }
        let file = try FileReader(path: path, what: place)
        guard file.size <= Int64(Limits.dockerArchiveManifestBytes) else {
            throw OCIError.tooLarge(what: place, limit: Int64(Limits.dockerArchiveManifestBytes))
        }
        let bytes = try file.readAll(limit: Limits.dockerArchiveManifestBytes, what: place)
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw OCIError.malformed(place, "\(error)") }
        guard let array = value.arrayValue, !array.isEmpty else { throw OCIError.malformed(place, "expected a non-empty array") }
        guard array.count <= Limits.maxIndexEntries else {
            throw OCIError.malformed(place, "it lists \(array.count) images, more than \(Limits.maxIndexEntries)")
        }
        let entries = try array.enumerated().map { i, item in try entry(item, at: i, place: place) }
        return DockerArchiveManifest(entries: entries, reference: reference)
    }

    private static func entry(_ item: JSONValue, at i: Int, place: String) throws -> Entry {
        guard item.objectValue != nil else { throw OCIError.malformed(place, "entry \(i) is not an object") }
        guard let config = item["Config"]?.stringValue, !config.isEmpty else {
            throw OCIError.malformed(place, "entry \(i) needs Config, a file name")
        }
        guard let layers = item["Layers"]?.arrayValue else {
            throw OCIError.malformed(place, "entry \(i) needs Layers, an array of file names")
        }
        guard layers.count <= Limits.maxLayers else {
            throw OCIError.malformed(place, "entry \(i) lists \(layers.count) layers, more than \(Limits.maxLayers)")
        }
        return Entry(
            config: config,
            repoTags: try strings(item["RepoTags"], field: "RepoTags", entry: i, place: place),
            layers: try strings(item["Layers"], field: "Layers", entry: i, place: place))
    }

    /// An array of strings; absent or null is empty, anything else is refused.
    private static func strings(_ value: JSONValue?, field: String, entry i: Int, place: String) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw OCIError.malformed(place, "entry \(i): \(field) is not an array") }
        return try array.enumerated().map { j, element in
            guard let text = element.stringValue else { throw OCIError.malformed(place, "entry \(i): \(field)[\(j)] is not a string") }
            return text
        }
    }

    func select(name: String?) throws -> Entry {
        if let name {
            let wanted = DockerReference.normalized(name)
            guard let match = entries.first(where: { $0.repoTags.contains { DockerReference.normalized($0) == wanted } }) else {
                throw OCIError.tagNotFound(reference: reference, tag: name, available: entries.flatMap(\.repoTags))
            }
            return match
        }
        guard entries.count == 1 else { throw OCIError.ambiguousTag(reference: reference, available: entries.flatMap(\.repoTags)) }
        return entries[0]
    }
}
