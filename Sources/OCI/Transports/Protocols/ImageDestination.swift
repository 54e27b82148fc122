/// Where patched images are written. Blobs first, then manifests by digest, then `commit` makes
/// the tag point at the new root; until `commit`, the target as users see it is unchanged, and
/// `abort` removes whatever was written.
///
/// `hasBlob` and `putBlob` run concurrently: the engine transfers up to `--jobs` blobs at once,
/// each a different blob, so a destination guards whatever state they share (`Lock`). Manifests
/// and `commit` follow once every blob is in, one call at a time.
public protocol ImageDestination: AnyObject, Sendable {
    var reference: String { get }
    /// False for formats that hold one image per name (docker-archive): the engine then refuses
    /// an index before doing any work.
    var canHoldIndex: Bool { get }
    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// What `putBlob` would do, for `--dry-run`, without doing it.
    func plannedAction(for descriptor: Descriptor, from origin: BlobOrigin) async throws -> BlobAction
    func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws
    func putManifest(_ manifest: ManifestBlob) async throws
    func commit(root: ManifestBlob) async throws
    func abort() async
    /// The digest the target name points at now, or nil where there is none (or the format cannot
    /// tell cheaply): a run whose result has this digest writes nothing.
    func currentRootDigest() async throws -> Digest?
    /// Blob bytes sent so far (uploads; mounts and blobs already there move nothing), for reports.
    var uploadedBytes: Int64 { get }
    /// The target read back as a source, once blobs are in it: a later push to another repository of
    /// the same registry can mount them from it. nil where that means nothing (local formats).
    var blobSource: (any ImageSource)? { get }
    /// Where signatures and referrers of the written image go; nil where the transport has none.
    var attachments: (any AttachmentWriter)? { get }
}

public enum BlobAction: String, Sendable {
    case present, mount, upload
}

extension ImageDestination {
    public func currentRootDigest() async throws -> Digest? { nil }
    public var uploadedBytes: Int64 { 0 }
    public var blobSource: (any ImageSource)? { nil }
    public var attachments: (any AttachmentWriter)? { nil }

    public func plannedAction(for descriptor: Descriptor, from origin: BlobOrigin) async throws -> BlobAction {
        try await hasBlob(descriptor) ? .present : .upload
    }
}
