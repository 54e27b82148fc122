import HTTP
import Hashing
import IOFoundation
import OCI

/// The reads that signatures and referrers need, for `RegistrySource` (pull) and
/// `RegistryDestination` (which asks for pull and push in one token).
extension RegistryClient {
    /// The manifest under a tag, or nil for 404. Hashed as received: a tag promises no digest.
    func taggedManifest(_ tag: String, repository: String, scopes: [String]) async throws -> ManifestBlob? {
        let call = Call(
            operation: "send the manifest \(tag) in \(repository)", method: "GET",
            target: "/v2/\(repository)/manifests/\(tag)",
            headers: [("Accept", RegistrySource.manifestAccept)], scopes: scopes,
            bodyLimit: Limits.manifestBytes)
        let response = try await send(call)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure(call, response) }
        let mediaType = response.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
        return ManifestBlob(bytes: response.body, mediaType: mediaType, digest: .sha256(of: response.body))
    }

    /// The referrers API's answer, or nil where the registry has no such API. Registries without it
    /// answer the unknown route with 404 (distribution 2.x), 400, 405 or 501.
    func referrersIndex(of digest: Digest, repository: String, scopes: [String]) async throws -> [UInt8]? {
        let call = Call(
            operation: "list the referrers of \(digest) in \(repository)", method: "GET",
            target: "/v2/\(repository)/referrers/\(digest)",
            headers: [("Accept", MediaType.ociIndex)], scopes: scopes,
            bodyLimit: Limits.indexJSONBytes)
        let response = try await send(call)
        switch response.status {
        case 200:
            let type = response.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") }
            // A registry that serves something else at this path (an HTML page) has no referrers API.
            return type == MediaType.ociIndex ? response.body : nil
        case 400, 404, 405, 406, 501: return nil
        default: throw failure(call, response)
        }
    }
}

/// A source or destination's repository, read through the attachment calls with its own scope
/// (pull for a source; pull and push for a destination, so one token serves the whole run).
protocol RegistryRepositoryAttachments: AttachmentReader {
    var client: RegistryClient { get }
    var name: DockerReference { get }
    var attachmentScopes: [String] { get }
}

extension RegistryRepositoryAttachments {
    public var repositoryReference: String { "\(name.registry)/\(name.repository)" }

    public func taggedManifest(_ tag: String) async throws -> ManifestBlob? {
        try await client.taggedManifest(tag, repository: name.repository, scopes: attachmentScopes)
    }

    public func referrersIndex(of digest: Digest) async throws -> [UInt8]? {
        try await client.referrersIndex(of: digest, repository: name.repository, scopes: attachmentScopes)
    }
}

extension RegistrySource: RegistryRepositoryAttachments {
    public var attachments: (any AttachmentReader)? { self }
    var attachmentScopes: [String] { [pullScope] }
}

extension RegistryDestination: RegistryRepositoryAttachments, AttachmentWriter {
    public var attachments: (any AttachmentWriter)? { self }
    var attachmentScopes: [String] { [pushScope] }

    public func putBlob(_ bytes: [UInt8], descriptor: Descriptor) async throws {
        if try await hasBlob(descriptor) { return }
        try await putBlob(descriptor, from: BlobOrigin(source: nil) { MemoryReader(bytes) })
    }

    @discardableResult
    public func putManifest(_ manifest: ManifestBlob, reference: String) async throws -> Bool {
        let response = try await put(manifest, reference: reference)
        return response.header("OCI-Subject") != nil
    }
}
