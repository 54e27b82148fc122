import IOFoundation

/// Writes an `oci-archive:FILE[:TAG]`: a layout built beside FILE, packed into FILE on commit.
public final class OCIArchiveDestination: ImageDestination, Sendable {
    public let reference: String
    public var canHoldIndex: Bool { true }
    private let file: String
    private let staging: TemporaryDirectory
    private let layout: OCILayoutDestination

    public init(file: String, tag: String?, reference: String, maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws {
        self.file = file
        self.reference = reference
        staging = try TemporaryDirectory(near: file, prefix: "imagepatch-oci-archive")
        let layoutDirectory = "\(staging.path)/layout"
        // Writing into an existing archive keeps its other tags.
        if FileSystem.exists(file) {
            try FileSystem.makeDirectories(layoutDirectory)
            try ArchiveExtractor.extract(file: file, into: layoutDirectory, reference: reference, maxUnpackedBytes: maxUnpackedBytes)
        }
        layout = try OCILayoutDestination(directory: layoutDirectory, tag: tag, reference: reference)
    }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { try await layout.hasBlob(descriptor) }
    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        try await layout.putBlob(descriptor, from: origin)
    }
    public func putManifest(_ manifest: ManifestBlob) async throws { try await layout.putManifest(manifest) }

    public func commit(root: ManifestBlob) async throws {
        try await layout.commit(root: root)
        try DirectoryArchiver.archive(directory: layout.directory, toFile: file)
    }

    public func abort() async { await layout.abort() }
}
