import IOFoundation

/// Where images are read from. The patch engine talks only to this protocol; each transport
/// (`oci:`, `oci-archive:`, `docker-archive:`, `docker://`) implements it once.
/// Everything a source returns has been verified against its digest.
public protocol ImageSource: AnyObject, Sendable {
    /// The reference as the user wrote it, for messages.
    var reference: String { get }
    /// The manifest or index the reference names.
    func rootManifest() async throws -> ManifestBlob
    /// A manifest named by a descriptor of the root index.
    func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob
    /// A blob as a stream that fails unless its bytes match the descriptor's size and digest.
    func openBlob(_ descriptor: Descriptor) async throws -> ByteReader
    /// Signatures and referrers beside the image; nil where the transport has none (all but registries).
    var attachments: (any AttachmentReader)? { get }
    /// The same, for a consumer that can start over if the stream breaks (an upload): a source may
    /// then hand bytes over as they arrive instead of first keeping the whole blob aside.
    func streamBlob(_ descriptor: Descriptor) async throws -> ByteReader
}

extension ImageSource {
    public var attachments: (any AttachmentReader)? { nil }

    public func streamBlob(_ descriptor: Descriptor) async throws -> ByteReader { try await openBlob(descriptor) }

    /// The name to record as an image's base (`org.opencontainers.image.base.name`): a registry
    /// reference; local transports have none worth publishing (a path on the build machine).
    public var publishedName: String? { (self as? PublishedImageSource)?.publishedName }

    /// Reads a small blob (a config) whole, bounded by `limit`.
    public func readBlob(_ descriptor: Descriptor, limit: Int, what: String) async throws -> [UInt8] {
        guard descriptor.size <= Int64(limit) else { throw OCIError.tooLarge(what: what, limit: Int64(limit)) }
        return try await openBlob(descriptor).readAll(limit: limit, what: what)
    }
}

/// How a destination can get a blob it lacks: by reading it from `open`, by streaming it from
/// `stream` (for a consumer that starts over when the stream breaks, such as an upload), or, for a
/// registry, perhaps without any transfer because `source` lives in the same registry.
public struct BlobOrigin: Sendable {
    public let source: (any ImageSource)?
    public let open: @Sendable () async throws -> ByteReader
    public let stream: @Sendable () async throws -> ByteReader

    public init(
        source: (any ImageSource)?, open: @escaping @Sendable () async throws -> ByteReader,
        stream: (@Sendable () async throws -> ByteReader)? = nil
    ) {
        self.source = source
        self.open = open
        self.stream = stream ?? open
    }
}

/// A source whose blobs are plain files on this machine. A local destination on the same
/// filesystem can then hard-link a verified blob instead of copying its bytes.
public protocol LocalBlobFiles {
    func localFile(for descriptor: Descriptor) -> String?
}

/// A source whose images have a public name, such as a registry reference.
public protocol PublishedImageSource {
    var publishedName: String? { get }
}
