/// What lives beside an image in a registry repository without being part of it: cosign's
/// signature tags (`sha256-<hex>.sig`) and OCI 1.1 artifacts that name a manifest as their
/// `subject` (SBOMs, provenance), found through the referrers API or the referrers tag schema.
/// Only registries have them; a transport without them answers nil for `attachments`.
public protocol AttachmentReader: Sendable {
    /// `HOST/REPO`, without tag or digest: the identity a cosign signature names.
    var repositoryReference: String { get }

    /// The manifest a tag names now, or nil when there is no such tag. Tags move, so nothing is
    /// verified but the size bound; callers parse it as untrusted input.
    func taggedManifest(_ tag: String) async throws -> ManifestBlob?

    /// The referrers API's index of the manifests whose subject is `digest`, or nil when the
    /// registry has no referrers API (then the tag schema is where referrers are listed).
    func referrersIndex(of digest: Digest) async throws -> [UInt8]?
}

/// Writes signatures and artifacts beside an image (see `AttachmentReader`).
public protocol AttachmentWriter: AttachmentReader {
    /// Stores a small blob, unless the repository has it already.
    func putBlob(_ bytes: [UInt8], descriptor: Descriptor) async throws

    /// Stores a manifest under `reference` (a tag or its digest). Returns true when the registry
    /// answered that it indexed the manifest's subject (OCI-Subject), so no tag schema is needed.
    @discardableResult
    func putManifest(_ manifest: ManifestBlob, reference: String) async throws -> Bool
}
