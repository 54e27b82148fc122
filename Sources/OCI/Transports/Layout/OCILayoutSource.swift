import IOFoundation
import JSON

/// Reads an OCI image layout directory (`oci:DIR[:TAG]`).
public final class OCILayoutSource: ImageSource, LocalBlobFiles, Sendable {
    public let reference: String
    let directory: String
    let root: Descriptor
    /// Keeps an extracted archive's directory alive (and removes it) with the source.
    private let cleanup: TemporaryDirectory?

    public init(directory: String, tag: String?, reference: String, cleanup: TemporaryDirectory? = nil) throws {
        self.reference = reference
        self.directory = directory
        self.cleanup = cleanup
        guard FileSystem.isDirectory(directory) else { throw OCIError.notFound("OCI layout directory \(directory) (in \(reference))") }
        let index = try OCILayoutIndex.read(directory: directory, reference: reference)
        root = try index.resolve(tag: tag, reference: reference)
    }

    public func rootManifest() async throws -> ManifestBlob {
        try readManifest(root, what: "the manifest \(root.digest) named by \(reference)")
    }

    public func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob {
        try readManifest(descriptor, what: "manifest \(descriptor.digest) in \(reference)")
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        try openVerified(descriptor, what: "blob \(descriptor.digest) in \(reference)")
    }

    public func localFile(for descriptor: Descriptor) -> String? {
        let path = OCILayoutIndex.blobPath(directory, descriptor.digest)
        return FileSystem.exists(path) ? path : nil
    }

    private func readManifest(_ descriptor: Descriptor, what: String) throws -> ManifestBlob {
        guard descriptor.size <= Int64(Limits.manifestBytes) else {
            throw OCIError.tooLarge(what: what, limit: Int64(Limits.manifestBytes))
        }
        let bytes = try openVerified(descriptor, what: what).readAll(limit: Limits.manifestBytes, what: what)
        return ManifestBlob(bytes: bytes, mediaType: descriptor.mediaType, digest: descriptor.digest)
    }

    private func openVerified(_ descriptor: Descriptor, what: String) throws -> ByteReader {
        guard FileSystem.exists(OCILayoutIndex.blobPath(directory, descriptor.digest)) else { throw OCIError.notFound(what) }
        return try LayoutFile.openBlob(descriptor, layout: directory, what: what)
    }
}
