import Foundation
import IOFoundation
import OCI
import Synchronization

/// An `ImageSource` held in memory: a root manifest or index, the manifests it names and the blobs.
/// Everything it returns is verified against the descriptor asked for, as the real sources do, so
/// a test that asks with a wrong digest or size fails here as it would on a layout or a registry.
/// It counts the blobs opened, so a test can tell which bytes the engine read.
public final class InMemoryImageSource: ImageSource, Sendable {
    public let reference: String
    private let root: ManifestBlob
    private let manifests: [Digest: [UInt8]]
    private let blobs: [Digest: [UInt8]]
    private let opened = Mutex<[Digest: Int]>([:])

    public init(reference: String, root: ManifestBlob, manifests: [ManifestBlob], blobs: [[UInt8]]) {
        self.reference = reference
        self.root = root
        self.manifests = Dictionary(manifests.map { ($0.digest, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        self.blobs = Dictionary(blobs.map { (Digest.sha256(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func rootManifest() async throws -> ManifestBlob { root }

    public func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob {
        let what = "manifest \(descriptor.digest) in \(reference)"
        guard let bytes = manifests[descriptor.digest] ?? (descriptor.digest == root.digest ? root.bytes : nil) else {
            throw OCIError.notFound(what)
        }
        let verified = try VerifyingReader(MemoryReader(bytes), descriptor: descriptor, what: what)
            .readAll(limit: Limits.manifestBytes, what: what)
        return ManifestBlob(bytes: verified, mediaType: descriptor.mediaType, digest: descriptor.digest)
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(reference)"
        guard let bytes = blobs[descriptor.digest] ?? manifests[descriptor.digest] else { throw OCIError.notFound(what) }
        opened.withLock { $0[descriptor.digest, default: 0] += 1 }
        return VerifyingReader(MemoryReader(bytes), descriptor: descriptor, what: what)
    }

    /// How many times the blob was opened.
    public func timesOpened(_ digest: Digest) -> Int { opened.withLock { $0[digest] ?? 0 } }
}
