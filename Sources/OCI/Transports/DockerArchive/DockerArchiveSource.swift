import JSON

/// `docker-archive:FILE[:NAME]`: the `docker save` format, possibly compressed as a whole
/// (`.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`). It has no manifest of its own, so one is
/// made: a Docker v2 manifest whose descriptors are the hashes of the files in the archive.
/// Each layer is checked against the config's diff_ids, since nothing else vouches for it.
public final class DockerArchiveSource: ImageSource, @unchecked Sendable {
    public let reference: String
    private let directory: TemporaryDirectory
    private let root: ManifestBlob
    private let pathsByDigest: [Digest: String]

    public init(file: String, name: String?, reference: String) throws {
        self.reference = reference
        directory = try TemporaryDirectory(prefix: "imagepatch-docker-archive")
        try ArchiveExtractor.extract(file: file, into: directory.path, reference: reference)
        let entry = try DockerArchiveManifest.read(directory: directory.path, reference: reference).select(name: name)

        let configPath = try Self.memberPath(directory.path, entry.config, reference)
        let configBytes = try FileSystem.readFile(configPath, limit: Limits.configBytes, what: "config \(entry.config) in \(reference)")
        let configDigest = Digest.sha256(of: configBytes)
        let config: JSONValue
        do { config = try JSONValue(parsing: configBytes) } catch {
            throw OCIError.malformed("config \(entry.config) in \(reference)", "\(error)")
        }
        let diffIDs = config["rootfs"]?["diff_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard diffIDs.count == entry.layers.count else {
            throw OCIError.malformed(reference, "manifest.json lists \(entry.layers.count) layers but the config has \(diffIDs.count) diff_ids")
        }

        var paths: [Digest: String] = [configDigest: configPath]
        var layers: [JSONValue] = []
        for (member, diffID) in zip(entry.layers, diffIDs) {
            let path = try Self.memberPath(directory.path, member, reference)
            let layer = try LayerFileInspector.inspect(path: path, what: "layer \(member) in \(reference)")
            guard layer.diffID.description == diffID else {
                throw OCIError.digestMismatch(what: "layer \(member) in \(reference)", expected: try Digest(parsing: diffID), actual: layer.diffID)
            }
            paths[layer.digest] = path
            layers.append(Descriptor(mediaType: layer.compressed ? MediaType.dockerLayerGzip : MediaType.dockerLayer,
                                     digest: layer.digest, size: layer.size).jsonValue)
        }
        var manifest = JSONObject()
        manifest["schemaVersion"] = .integer(2)
        manifest["mediaType"] = .string(MediaType.dockerManifest)
        manifest["config"] = Descriptor(mediaType: MediaType.dockerConfig, digest: configDigest, size: Int64(configBytes.count)).jsonValue
        manifest["layers"] = .array(layers)
        root = ManifestBlob(bytes: JSONValue.object(manifest).serialized(), mediaType: MediaType.dockerManifest)
        pathsByDigest = paths
    }

    public func rootManifest() async throws -> ManifestBlob { root }

    public func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob {
        guard descriptor.digest == root.digest else { throw OCIError.notFound("manifest \(descriptor.digest) in \(reference)") }
        return root
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(reference)"
        guard let path = pathsByDigest[descriptor.digest] else { throw OCIError.notFound(what) }
        return VerifyingReader(try FileReader(path: path), descriptor: descriptor, what: what)
    }

    private static func memberPath(_ root: String, _ member: String, _ reference: String) throws -> String {
        guard let relative = try ArchivePath.normalize(member, what: "\(reference) manifest.json") else {
            throw OCIError.malformed("\(reference) manifest.json", "an empty file name")
        }
        let path = "\(root)/\(relative)"
        guard FileSystem.exists(path) else { throw OCIError.notFound("\(member) named by manifest.json in \(reference)") }
        return path
    }
}

/// `manifest.json` of a `docker save` archive.
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
        guard FileSystem.exists("\(directory)/manifest.json") else {
            throw OCIError.malformed(reference, "it has no manifest.json, so it is not a docker-archive (docker save) file")
        }
        let bytes = try FileSystem.readFile("\(directory)/manifest.json", limit: Limits.dockerArchiveManifestBytes, what: place)
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw OCIError.malformed(place, "\(error)") }
        guard let array = value.arrayValue, !array.isEmpty else { throw OCIError.malformed(place, "expected a non-empty array") }
        let entries = try array.enumerated().map { i, item in
            guard let config = item["Config"]?.stringValue, let layers = item["Layers"]?.arrayValue else {
                throw OCIError.malformed(place, "entry \(i) needs Config and Layers")
            }
            return Entry(config: config,
                         repoTags: item["RepoTags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                         layers: try layers.map {
                             guard let s = $0.stringValue else { throw OCIError.malformed(place, "entry \(i) has a non-string layer") }
                             return s
                         })
        }
        return DockerArchiveManifest(entries: entries, reference: reference)
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
