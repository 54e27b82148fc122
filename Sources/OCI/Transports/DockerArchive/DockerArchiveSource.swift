import IOFoundation
import JSON

/// `docker-archive:FILE[:NAME]`: the `docker save` format, possibly compressed as a whole
/// (`.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`). It has no manifest of its own, so one is
/// made: a Docker v2 manifest whose descriptors are the hashes of the files in the archive.
/// Each layer is checked against the config's diff_ids, since nothing else vouches for it.
/// `maxUnpackedBytes` bounds what unpacking may write, and each layer's uncompressed size.
public final class DockerArchiveSource: ImageSource, Sendable {
    public let reference: String
    private let directory: TemporaryDirectory
    private let root: ManifestBlob
    private let pathsByDigest: [Digest: String]

    public init(file: String, name: String?, reference: String, maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws {
        self.reference = reference
        directory = try TemporaryDirectory(prefix: "imagepatch-docker-archive")
        try ArchiveExtractor.extract(file: file, into: directory.path, reference: reference, maxUnpackedBytes: maxUnpackedBytes)
        let entry = try DockerArchiveManifest.read(directory: directory.path, reference: reference).select(name: name)

        let configPath = try Self.memberPath(directory.path, entry.config, reference)
        let configWhat = "config \(entry.config) in \(reference)"
        let configFile = try FileReader(path: configPath, what: configWhat)
        guard configFile.size <= Int64(Limits.configBytes) else {
            throw OCIError.tooLarge(what: configWhat, limit: Int64(Limits.configBytes))
        }
        let configBytes = try configFile.readAll(limit: Limits.configBytes, what: configWhat)
        let configDigest = Digest.sha256(of: configBytes)
        let config: JSONValue
        do { config = try JSONValue(parsing: configBytes) } catch {
            throw OCIError.malformed("config \(entry.config) in \(reference)", "\(error)")
        }
        let diffIDs = config["rootfs"]?["diff_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard diffIDs.count == entry.layers.count else {
            throw OCIError.malformed(
                reference, "manifest.json lists \(entry.layers.count) layers but the config has \(diffIDs.count) diff_ids")
        }

        var paths: [Digest: String] = [configDigest: configPath]
        var layers: [JSONValue] = []
        for (index, (member, diffID)) in zip(entry.layers, diffIDs).enumerated() {
            let path = try Self.memberPath(directory.path, member, reference)
            let what = "layer \(index + 1) of \(entry.layers.count) (\(member), diff_id \(diffID)) in \(reference)"
            let layer = try LayerFileInspector.inspect(path: path, what: what, maxUncompressedBytes: maxUnpackedBytes)
            guard layer.diffID.description == diffID else {
                throw OCIError.digestMismatch(what: what, expected: try Digest(parsing: diffID), actual: layer.diffID)
            }
            paths[layer.digest] = path
            layers.append(
                Descriptor(
                    mediaType: layer.compressed ? MediaType.dockerLayerGzip : MediaType.dockerLayer,
                    digest: layer.digest, size: layer.size
                ).jsonValue)
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
        return try VerifyingReader(file: try FileReader(path: path, what: what), descriptor: descriptor, what: what)
    }

    /// A file named by manifest.json: a plain relative name (no `..`, not absolute) of a file in the archive.
    private static func memberPath(_ root: String, _ member: String, _ reference: String) throws -> String {
        let place = "manifest.json in \(reference)"
        guard !member.utf8.contains(0) else { throw OCIError.unsafePath(what: place, path: member, reason: "the name holds a NUL byte") }
        let relative: String
        switch ArchivePath.components(member, allowInnerParent: false) {
        case .success(let name?): relative = name
        case .success(nil): throw OCIError.unsafePath(what: place, path: member, reason: "it names no file in the archive")
        case .failure(.absolute): throw OCIError.unsafePath(what: place, path: member, reason: "absolute names are not allowed")
        case .failure: throw OCIError.unsafePath(what: place, path: member, reason: "names with .. are not allowed")
        }
        let path = "\(root)/\(relative)"
        guard FileSystem.exists(path) else { throw OCIError.notFound("\(member) named by manifest.json in \(reference)") }
        return path
    }
}
