import Foundation
import Glibc
import Hashing
import HTTP
import OCI

/// Reads images from a registry (`docker://` and bare references). Manifests are verified against
/// the digest asked for (or, for a tag, against Docker-Content-Digest); blobs stream to a private
/// temporary file while being hashed, and are handed over only once verified.
public final class RegistrySource: ImageSource, PublishedImageSource, @unchecked Sendable {
    public let reference: String
    public let name: DockerReference
    let client: RegistryClient

    static let manifestAccept = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList,
                                 MediaType.dockerManifest, MediaType.dockerSchema1Signed, MediaType.dockerSchema1]
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
        let blob = try await fetchManifest(descriptor.digest.description, expected: descriptor.digest,
                                           what: "manifest \(descriptor.digest) in \(name)")
        guard Int64(blob.bytes.count) == descriptor.size else {
            throw OCIError.sizeMismatch(what: "manifest \(descriptor.digest) in \(name)", expected: descriptor.size,
                                        actual: Int64(blob.bytes.count))
        }
        return blob
    }

    private func fetchManifest(_ reference: String, expected: Digest?, what: String) async throws -> ManifestBlob {
        let call = RegistryClient.Call(operation: "send \(what)", method: "GET",
                                       target: "/v2/\(name.repository)/manifests/\(reference)",
                                       headers: [("Accept", Self.manifestAccept)], scopes: [pullScope],
                                       bodyLimit: Limits.manifestBytes)
        let response = try await client.send(call)
        if response.status == 404 { throw OCIError.notFound("\(what) (\(client.registry) answered 404)") }
        guard response.status == 200 else { throw client.failure(call, response) }
        let mediaType = (response.header("Content-Type") ?? "").split(separator: ";").first.map {
            String($0).trimmingCharacters(in: " ")
        } ?? ""
        if MediaType.isSchema1(mediaType) { throw OCIError.schema1(what) }
        let algorithm = expected?.algorithm ?? .sha256
        let actual = Digest(algorithm: algorithm, hex: DigestHasher.hex(algorithm, of: response.body))
        if let expected, actual != expected {
            throw OCIError.digestMismatch(what: what, expected: expected, actual: actual)
        }
        if expected == nil, let header = response.header("Docker-Content-Digest"),
           let claimed = try? Digest(parsing: header), claimed.algorithm == .sha256, claimed != actual {
            throw OCIError.digestMismatch(what: what, expected: claimed, actual: actual)
        }
        return ManifestBlob(bytes: response.body, mediaType: mediaType, digest: actual)
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(name)"
        let download = try BlobDownload(descriptor: descriptor, what: what)
        try await fetchBlob(descriptor, what: what) { try download.restart() }
        return try download.finish()
    }

    /// Across registries, a blob goes from this registry's response straight into the upload: the
    /// download runs beside the reader through a bounded pipe, and the reader checks size and
    /// digest at the end, before the upload can complete. A broken download breaks the upload,
    /// which then starts over with a new stream.
    public func streamBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        let what = "blob \(descriptor.digest) in \(name)"
        let pipe = BytePipe()
        Task {
            do {
                try await fetchBlob(descriptor, what: what) {
                    // A retry is only possible while nothing has been handed over.
                    guard pipe.bytesWritten == 0 else {
                        throw HTTPError.transport(host: self.client.registry, message: "the download of \(what) broke off", retryable: true)
                    }
                    return { try pipe.write($0) }
                }
                pipe.finish()
            } catch {
                pipe.finish(error: error)
            }
        }
        return CancellingReader(VerifyingReader(pipe, descriptor: descriptor, what: what), onDeinit: pipe.cancel)
    }

    /// GETs a blob into the sinks `makeSink` gives (one per attempt), following redirects to blob
    /// storage (S3, GCS, a CDN); credentials stay with the registry's own origin.
    private func fetchBlob(_ descriptor: Descriptor, what: String,
                           makeSink: @escaping () throws -> (UnsafeRawBufferPointer) throws -> Void) async throws {
        var target = "/v2/\(name.repository)/blobs/\(descriptor.digest)"
        var authorize = true
        for _ in 0..<6 {
            let call = RegistryClient.Call(operation: "send \(what)", method: "GET", target: target,
                                           scopes: [pullScope], bodyLimit: 64 << 10, sink: makeSink, authorize: authorize)
            let response = try await client.send(call)
            if (300...399).contains(response.status), let location = response.header("Location") {
                target = Self.resolve(location, against: client.url(target))
                authorize = client.isSameOrigin(target)
                continue
            }
            if response.status == 404 { throw OCIError.notFound("\(what) (\(client.registry) answered 404)") }
            guard response.status == 200 else { throw client.failure(call, response) }
            return
        }
        throw RegistryError.badResponse(registry: client.registry, operation: "send \(what)", reason: "too many redirects")
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

/// A blob on its way to disk: hashed and counted as it arrives, refused as soon as it exceeds
/// its declared size. The file is unlinked once opened, so it disappears with its reader.
final class BlobDownload {
    let descriptor: Descriptor
    let what: String
    private var file: AtomicFileWriter?
    private var hasher: DigestHasher
    private var count: Int64 = 0

    init(descriptor: Descriptor, what: String) throws {
        self.descriptor = descriptor
        self.what = what
        hasher = DigestHasher(descriptor.digest.algorithm)
    }

    /// A fresh sink for one attempt: a retried download starts from the beginning.
    func restart() throws -> (UnsafeRawBufferPointer) throws -> Void {
        file?.abandon()
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        // Private (0600): the layers of a private image must not be readable by other users meanwhile.
        let writer = try AtomicFileWriter(path: "\(directory)/imagepatch-blob-\(descriptor.digest.hex.prefix(16))", mode: 0o600)
        file = writer
        hasher = DigestHasher(descriptor.digest.algorithm)
        count = 0
        return { [unowned self] chunk in
            count += Int64(chunk.count)
            guard count <= descriptor.size else {
                throw OCIError.sizeMismatch(what: what, expected: descriptor.size, actual: count)
            }
            hasher.update(chunk)
            try writer.write(chunk)
        }
    }

    func finish() throws -> ByteReader {
        guard let file else { throw OCIError.io("\(what): no data was received") }
        defer { file.abandon() }
        guard count == descriptor.size else { throw OCIError.sizeMismatch(what: what, expected: descriptor.size, actual: count) }
        let actual = Digest(algorithm: descriptor.digest.algorithm, hex: hasher.finalizeHex())
        guard actual == descriptor.digest else { throw OCIError.digestMismatch(what: what, expected: descriptor.digest, actual: actual) }
        return try FileReader(path: file.temporaryPath)
    }

    deinit { file?.abandon() }
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
