import Foundation
import Glibc
import HTTP
import Hashing
import IOFoundation
import OCI

/// Reads images from a registry (`docker://` and bare references). Manifests are verified against
/// the digest asked for (or, for a tag, against Docker-Content-Digest); blobs stream to a private
/// temporary file while being hashed, and are handed over only once verified.
public final class RegistrySource: ImageSource, PublishedImageSource, Sendable {
    public let reference: String
    public let name: DockerReference
    let client: RegistryClient

    static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList,
        MediaType.dockerManifest, MediaType.dockerSchema1Signed, MediaType.dockerSchema1,
    ]
    .joined(separator: ", ")

    init(reference: String, name: DockerReference, client: RegistryClient) {
        self.reference = reference
        self.name = name
        self.client = client
    }

    public var publishedName: String? { name.description }

    var pullScope: String { "repository:\(name.repository):pull" }

    public func rootManifest() async throws -> ManifestBlob {
        try await fetchManifest(name.manifestReference, expected: name.digest, what: "the manifest of \(name)")
    }

    public func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob {
        guard descriptor.size <= Int64(Limits.manifestBytes) else {
            throw OCIError.tooLarge(what: "manifest \(descriptor.digest) in \(name)", limit: Int64(Limits.manifestBytes))
        }
        let blob = try await fetchManifest(
            descriptor.digest.description, expected: descriptor.digest,
            what: "manifest \(descriptor.digest) in \(name)")
        guard Int64(blob.bytes.count) == descriptor.size else {
            throw OCIError.sizeMismatch(
                what: "manifest \(descriptor.digest) in \(name)", expected: descriptor.size,
                actual: Int64(blob.bytes.count))
        }
        return blob
    }

    /// A manifest whose bytes do not match is fetched once more (a flipped bit on the way); only
    /// a repeated mismatch is an error.
    private func fetchManifest(_ reference: String, expected: Digest?, what: String) async throws -> ManifestBlob {
        var mismatches = 0
        while true {
            do {
                return try await fetchManifestOnce(reference, expected: expected, what: what)
            } catch let error as OCIError where error.isContentMismatch && mismatches + 1 < Self.contentAttempts {
                mismatches += 1
                client.logger.info("\(error); fetching it again")
            }
        }
    }

    /// How many times a manifest or blob is fetched before a mismatch of its bytes is an error.
    static let contentAttempts = 2

    private func fetchManifestOnce(_ reference: String, expected: Digest?, what: String) async throws -> ManifestBlob {
        let call = RegistryClient.Call(
            operation: "send \(what)", method: "GET",
            target: "/v2/\(name.repository)/manifests/\(reference)",
            headers: [("Accept", Self.manifestAccept)], scopes: [pullScope],
            bodyLimit: Limits.manifestBytes)
        let response = try await client.send(call)
        if response.status == 404 { throw OCIError.notFound("\(what) (\(client.registry) answered 404)") }
        guard response.status == 200 else { throw client.failure(call, response) }
        let mediaType =
            (response.header("Content-Type") ?? "").split(separator: ";").first.map {
                String($0).trimmingCharacters(in: " ")
            } ?? ""
        if MediaType.isSchema1(mediaType) { throw OCIError.schema1(what) }
        let algorithm = expected?.algorithm ?? .sha256
        let actual = Digest(algorithm: algorithm, hex: DigestHasher.hex(algorithm, of: response.body))
        if let expected, actual != expected {
            throw OCIError.digestMismatch(what: what, expected: expected, actual: actual)
        }
        if expected == nil, let header = response.header("Docker-Content-Digest"),
            let claimed = try? Digest(parsing: header), claimed.algorithm == .sha256, claimed != actual
        {
            throw OCIError.digestMismatch(what: what, expected: claimed, actual: actual)
        }
        return ManifestBlob(bytes: response.body, mediaType: mediaType, digest: actual)
    }

    /// Downloads to a private file, verified before it is handed over. A download that breaks
    /// resumes where it stopped; one whose bytes do not match is fetched once more from the start.
    public func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(name)"
        var mismatches = 0
        while true {
            do {
                let download = try BlobDownload(descriptor: descriptor, what: what)
                try await fetchBlob(descriptor, what: what, into: download)
                return try download.finish()
            } catch let error as OCIError where error.isContentMismatch && mismatches + 1 < Self.contentAttempts {
                mismatches += 1
                client.logger.info("\(error); fetching it again")
            }
        }
    }

    /// Across registries, a blob goes from this registry's response straight into the upload: the
    /// download runs beside the reader through a bounded pipe, and the reader checks size and
    /// digest at the end, before the upload can complete. A download that breaks resumes with a
    /// Range request; where it cannot, the upload fails with `StreamRestartNeeded` and starts over
    /// with a new stream.
    public func streamBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(name)"
        let pipe = BytePipe()
        Task {
            do {
                try await fetchBlob(descriptor, what: what, into: PipeDownload(pipe: pipe, what: what))
                pipe.finish()
            } catch {
                pipe.finish(error: error)
            }
        }
        return CancellingReader(VerifyingReader(pipe, descriptor: descriptor, what: what), onDeinit: pipe.cancel)
    }

    /// GETs a blob into `target`, following redirects to blob storage (S3, GCS, a CDN; credentials
    /// stay with the registry's own origin). After a broken attempt, the next one asks for the
    /// rest with `Range: bytes=N-`: a 206 from N continues, a 200 starts over.
    private func fetchBlob(_ descriptor: Descriptor, what: String, into target: BlobDownloadTarget) async throws {
        var location = "/v2/\(name.repository)/blobs/\(descriptor.digest)"
        var authorize = true
        let operation = "send \(what)"
        let registry = client.registry
        for _ in 0..<6 {
            let call = RegistryClient.Call(
                operation: operation, method: "GET", target: location, scopes: [pullScope], bodyLimit: 64 << 10,
                limits: descriptor.size <= Self.smallBlobBytes ? .smallObject : .bulk,
                attemptHeaders: {
                    let received = target.received
                    return received > 0 && received < descriptor.size ? [("Range", "bytes=\(received)-")] : []
                },
                sink: { head in
                    guard head.status == 206 else { return try target.begin(at: 0) }
                    let received = target.received
                    guard received > 0, Self.contentRangeStart(head.header("Content-Range")) == received else {
                        throw RegistryError.badResponse(
                            registry: registry, operation: operation,
                            reason: "its partial answer (206) does not start at byte \(received)")
                    }
                    return try target.begin(at: received)
                },
                authorize: authorize)
            let response = try await client.send(call)
            if (300...399).contains(response.status), let header = response.header("Location") {
                location = Self.resolve(header, against: client.url(location))
                authorize = client.isSameOrigin(location)
                continue
            }
            if response.status == 404 { throw OCIError.notFound("\(what) (\(client.registry) answered 404)") }
            guard response.status == 200 || response.status == 206 else { throw client.failure(call, response) }
            return
        }
        throw RegistryError.badResponse(registry: client.registry, operation: operation, reason: "too many redirects")
    }

    /// Blobs up to this size (configs, small layers) get the tight limits of manifests: a registry
    /// trickling a config fails that attempt fast, and the retry gets it.
    static let smallBlobBytes: Int64 = 256 << 10

    /// The first byte of `Content-Range: bytes FIRST-LAST/TOTAL`, in ASCII digits.
    static func contentRangeStart(_ header: String?) -> Int64? {
        guard let header, header.hasPrefix("bytes "), let dash = header.firstIndex(of: "-") else { return nil }
        return ASCIINumber.parse(header[header.index(header.startIndex, offsetBy: 6)..<dash], in: 0...Limits.blobBytes)
    }

    static func resolve(_ location: String, against base: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        guard let schemeEnd = base.range(of: "://") else { return location }
        let afterScheme = base[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let origin = String(base[..<authorityEnd])
        return location.hasPrefix("/") ? origin + location : origin + "/" + location
    }
}

/// Tells the producer to stop when the consumer lets go of the stream early.
final class CancellingReader: ByteReader {
    private let inner: ByteReader
    private let onDeinit: () -> Void
    init(_ inner: ByteReader, onDeinit: @escaping () -> Void) {
        self.inner = inner
        self.onDeinit = onDeinit
    }
    deinit { onDeinit() }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try inner.read(into: buffer) }
}
