import IOFoundation
import JSON

/// Writes a `docker save` archive that `docker load` and `skopeo` read: `manifest.json`, the config
/// and the layers as `blobs/sha256/<hex>` (the paths Docker 25+ uses). Layers are stored as they
/// are (compressed or not); `docker load` detects compression. One image per archive: Docker's
/// format has no multi-platform index, so the engine refuses an index for this destination.
public final class DockerArchiveDestination: ImageDestination, Sendable {
    public let reference: String
    public var canHoldIndex: Bool { false }
    private let file: String
    private let name: String?
    private let staging: TemporaryDirectory

    public init(file: String, name: String?, reference: String) throws {
        self.file = file
        self.name = name.map(DockerReference.normalized)
        self.reference = reference
        staging = try TemporaryDirectory(near: file, prefix: "imagepatch-docker-archive")
        try FileSystem.makeDirectories("\(staging.path)/blobs/sha256")
    }

    private func path(_ digest: Digest) -> String { "\(staging.path)/blobs/\(digest.algorithm.rawValue)/\(digest.hex)" }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { FileSystem.exists(path(descriptor.digest)) }

    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        if try await hasBlob(descriptor) { return }
        let reader = try await origin.open()
        try FileSystem.makeDirectories("\(staging.path)/blobs/\(descriptor.digest.algorithm.rawValue)")
        let writer = try AtomicFileWriter(path: path(descriptor.digest))
        try reader.forEachChunk { try writer.write($0) }
        try writer.commit()
    }

    /// Manifests have no place in the format; the root's content goes into manifest.json at commit.
    public func putManifest(_ manifest: ManifestBlob) async throws {}

    public func commit(root: ManifestBlob) async throws {
        guard case .manifest(let manifest) = try ManifestDocument.parse(root, place: "the image for \(reference)") else {
            throw OCIError.io("\(reference): a docker-archive holds a single-platform image; select one with --platform")
        }
        var entry = JSONObject()
        entry["Config"] = .string("blobs/sha256/\(manifest.config.digest.hex)")
        entry["RepoTags"] = .array(name.map { [.string($0)] } ?? [])
        entry["Layers"] = .array(manifest.layers.map { .string("blobs/sha256/\($0.digest.hex)") })
        try FileSystem.writeFileAtomically("\(staging.path)/manifest.json", JSONValue.array([.object(entry)]).serialized())
        try DirectoryArchiver.archive(directory: staging.path, toFile: file)
    }

    public func abort() async {}
}
