import Foundation
import OCI

/// A registry-like destination for engine tests: the image goes to a `RecordingDestination`, and
/// signatures and artifacts to tags and blobs kept here. It can play a registry with the referrers
/// API (answering OCI-Subject) or without it (2.x: the tag schema), and fail a chosen manifest.
public final class AttachingDestination: ImageDestination, AttachmentWriter, @unchecked Sendable {
    public let image: RecordingDestination
    public let repositoryReference: String
    private let referrersAPI: Bool
    private let failManifestTag: (@Sendable (String) -> Bool)?
    private let lock = NSLock()
    private var tagged: [String: ManifestBlob]
    private var byDigest: [Digest: ManifestBlob] = [:]
    private var stored: [Digest: [UInt8]] = [:]
    private var blobWrites = 0

    /// The error a manifest PUT told to fail throws.
    public struct InjectedFailure: Error, CustomStringConvertible {
        public let reference: String
        public var description: String { "the test registry refused the manifest \(reference) on purpose" }
    }

    public init(
        image: RecordingDestination = RecordingDestination(), repositoryReference: String = "registry.test/app-patched",
        referrersAPI: Bool = false, tags: [String: ManifestBlob] = [:],
        failManifestTag: (@Sendable (String) -> Bool)? = nil
    ) {
        self.image = image
        self.repositoryReference = repositoryReference
        self.referrersAPI = referrersAPI
        self.tagged = tags
        self.failManifestTag = failManifestTag
    }

    public var reference: String { image.reference }
    public var canHoldIndex: Bool { image.canHoldIndex }
    public var attachments: (any AttachmentWriter)? { self }
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { try await image.hasBlob(descriptor) }
    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        try await image.putBlob(descriptor, from: origin)
    }
    public func putManifest(_ manifest: ManifestBlob) async throws { try await image.putManifest(manifest) }
    public func commit(root: ManifestBlob) async throws { try await image.commit(root: root) }
    public func abort() async { await image.abort() }
    public func currentRootDigest() async throws -> Digest? { try await image.currentRootDigest() }

    /// Tags written beside the image, and what they name.
    public var tags: [String: ManifestBlob] { lock.withLock { tagged } }
    public var attachmentBlobs: [Digest: [UInt8]] { lock.withLock { stored } }
    public var attachmentManifests: [Digest: ManifestBlob] { lock.withLock { byDigest } }
    /// How many attachment blobs were uploaded (present ones are skipped).
    public var attachmentBlobWrites: Int { lock.withLock { blobWrites } }

    public func taggedManifest(_ tag: String) async throws -> ManifestBlob? { lock.withLock { tagged[tag] } }

    /// With the API: the manifests whose subject is `digest`, as the registry would list them.
    public func referrersIndex(of digest: Digest) async throws -> [UInt8]? {
        guard referrersAPI else { return nil }
        let entries = lock.withLock { byDigest.values }.compactMap { manifest -> JSONLikeEntry? in
            guard let text = String(bytes: manifest.bytes, encoding: .utf8), text.contains(digest.description) else { return nil }
            return JSONLikeEntry(digest: manifest.digest, size: manifest.bytes.count)
        }
        let manifests = entries.map {
            "{\"mediaType\":\"\(MediaType.ociManifest)\",\"digest\":\"\($0.digest)\",\"size\":\($0.size)}"
        }
        return Array(
            "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociIndex)\",\"manifests\":[\(manifests.joined(separator: ","))]}".utf8)
    }

    private struct JSONLikeEntry {
        let digest: Digest
        let size: Int
    }

    public func putBlob(_ bytes: [UInt8], descriptor: Descriptor) async throws {
        precondition(Digest.sha256(of: bytes) == descriptor.digest && Int64(bytes.count) == descriptor.size)
        lock.withLock {
            if stored[descriptor.digest] == nil { blobWrites += 1 }
            stored[descriptor.digest] = bytes
        }
    }

    public func putManifest(_ manifest: ManifestBlob, reference: String) async throws -> Bool {
        if let failManifestTag, failManifestTag(reference) { throw InjectedFailure(reference: reference) }
        lock.withLock {
            byDigest[manifest.digest] = manifest
            if !reference.hasPrefix("sha256:") { tagged[reference] = manifest }
        }
        return referrersAPI
    }
}
