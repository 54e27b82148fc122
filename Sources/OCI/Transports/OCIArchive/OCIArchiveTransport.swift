import IOFoundation

/// `oci-archive:FILE[:TAG]`: a tar of an OCI layout. Reading unpacks it into a private directory
/// and reads that as a layout; writing builds a layout beside FILE and packs it on commit.
/// `maxUnpackedBytes` bounds what unpacking may write (`--max-archive-size`).
public enum OCIArchiveTransport {
    public static func openSource(file: String, tag: String?, reference: String,
                                  maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws -> ImageSource {
        let temporary = try TemporaryDirectory(prefix: "imagepatch-oci-archive")
        try ArchiveExtractor.extract(file: file, into: temporary.path, reference: reference, maxUnpackedBytes: maxUnpackedBytes)
        return try OCILayoutSource(directory: temporary.path, tag: tag, reference: reference, cleanup: temporary)
    }
}

public final class OCIArchiveWriter: ImageDestination, Sendable {
    public let reference: String
    public var canHoldIndex: Bool { true }
    private let file: String
    private let staging: TemporaryDirectory
    private let layout: OCILayoutWriter

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
        layout = try OCILayoutWriter(directory: layoutDirectory, tag: tag, reference: reference)
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
