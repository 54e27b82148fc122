import HTTP
import Hashing
import OCI
import Synchronization

/// Pushes to a registry, moving only what is missing: a blob already in the target repository is
/// skipped (HEAD), one in another repository of the same registry is mounted, and only a blob from
/// elsewhere is uploaded. Manifests go by digest; the tag is written last, by `commit`, so a
/// failure at any point leaves the tag where it was.
public final class RegistryDestination: ImageDestination, Sendable {
    public let reference: String
    public let name: DockerReference
    public var canHoldIndex: Bool { true }
    let client: RegistryClient
    private let statistics = TransferStatistics()

    init(reference: String, name: DockerReference, client: RegistryClient) {
        self.reference = reference
        self.name = name
        self.client = client
    }

    public var uploadedBytes: Int64 { statistics.uploadedBytes }
    public var blobSource: (any ImageSource)? { RegistrySource(reference: reference, name: name, client: client) }

    var pushScope: String { "repository:\(name.repository):pull,push" }
    var blobsPath: String { "/v2/\(name.repository)/blobs" }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        let call = RegistryClient.Call(
            operation: "check blob \(descriptor.digest) in \(name.repository)", method: "HEAD",
            target: "\(blobsPath)/\(descriptor.digest)", scopes: [pushScope])
        let response = try await client.send(call)
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw client.failure(call, response)
        }
    }

    public func plannedAction(for descriptor: Descriptor, from origin: BlobOrigin) async throws -> BlobAction {
        if try await hasBlob(descriptor) { return .present }
        return mountSource(origin) != nil ? .mount : .upload
    }

    /// The repository to mount from: a registry source on this same registry, in another repository.
    private func mountSource(_ origin: BlobOrigin) -> RegistrySource? {
        guard let source = origin.source as? RegistrySource, source.client === client,
            source.name.repository != name.repository
        else { return nil }
        return source
    }

    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        var location: String?
        if let source = mountSource(origin) {
            location = try await mount(descriptor, from: source.name.repository)
            if location == nil {
                statistics.record(.mounted, descriptor)
                client.logger.info(
                    "mounted \(descriptor.digest.shortDescription) from \(source.name.repository) (\(descriptor.size) bytes not transferred)"
                )
                return
            }
        }
        try await upload(descriptor, from: origin, location: location)
        statistics.record(.uploaded, descriptor)
    }

    /// Cross-repository mount: 201 means done (nil); 202 means the registry declined and opened
    /// an upload session instead, whose location is returned.
    private func mount(_ descriptor: Descriptor, from repository: String) async throws -> String? {
        let call = RegistryClient.Call(
            operation: "mount blob \(descriptor.digest) from \(repository)", method: "POST",
            target: "\(blobsPath)/uploads/?mount=\(descriptor.digest)&from=\(repository)",
            scopes: [pushScope, "repository:\(repository):pull"])
        let response = try await client.send(call)
        switch response.status {
        case 201: return nil
        case 202:
            guard let location = response.header("Location") else {
                throw RegistryError.badResponse(registry: client.registry, operation: call.operation, reason: "202 without Location")
            }
            return location
        default: throw client.failure(call, response)
        }
    }

    /// POST for a session, then one streaming PUT with the digest. A failed attempt (the PUT's
    /// connection broke, 408, 429, 5xx, a token that expired, a source stream that could not be
    /// resumed) starts over with a new session and a new stream, within the retry budget; bytes
    /// from the source that do not match their digest are read once more.
    private func upload(_ descriptor: Descriptor, from origin: BlobOrigin, location given: String?) async throws {
        var location = given
        var budget = RetryBudget(policy: client.retry, limits: .bulk)
        var mismatches = 0
        while true {
            let failure: Error
            var retryAfter: String?
            do {
                try await uploadOnce(descriptor, from: origin, location: location)
                return
            } catch let error as StreamFailure {
                switch error.underlying {
                case let mismatch as OCIError where mismatch.isContentMismatch && mismatches + 1 < RegistrySource.contentAttempts:
                    mismatches += 1
                case is StreamRestartNeeded: break
                default: throw error.underlying  // the source has retried already, or it is local
                }
                failure = error.underlying
            } catch RegistryError.transport(let registry, let operation, 1, let cause) where cause.isRetryable {
                // The PUT itself (sent once, since its stream cannot be replayed); a POST or HEAD
                // that failed has been retried by `send` already and ends the upload.
                failure = RegistryError.transport(registry: registry, operation: operation, attempts: 1, cause: cause)
            } catch let error as UploadRefused {
                // 401: the token expired during the run; it has been renewed, so try once more.
                guard RetryPolicy.isRetryable(status: error.response.status) || error.response.status == 401 else { throw error.error }
                failure = error.error
                retryAfter = error.response.header("Retry-After")
            }
            guard let wait = budget.nextWait(retryAfter: retryAfter) else { throw failure }
            client.logger.info(
                "\(client.registry): \(failure); uploading \(descriptor.digest.shortDescription) again in \(String(format: "%.1f", wait)) s"
            )
            location = nil
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }

    /// An error of the stream an upload reads from, kept apart from the upload's own errors.
    private struct StreamFailure: Error, CustomStringConvertible {
        let underlying: Error
        var description: String { "\(underlying)" }
    }

    /// A status the upload PUT got, kept with the response so that `upload` can decide to retry.
    private struct UploadRefused: Error {
        let error: RegistryError
        let response: HTTPResponse
    }

    private func uploadOnce(_ descriptor: Descriptor, from origin: BlobOrigin, location given: String?) async throws {
        let operation = "accept blob \(descriptor.digest) in \(name.repository)"
        var location = given
        if location == nil {
            let start = RegistryClient.Call(
                operation: "start an upload to \(name.repository)", method: "POST",
                target: "\(blobsPath)/uploads/", scopes: [pushScope])
            let response = try await client.send(start)
            guard response.status == 202, let header = response.header("Location") else {
                throw response.status == 202
                    ? RegistryError.badResponse(registry: client.registry, operation: start.operation, reason: "202 without Location")
                    : client.failure(start, response)
            }
            location = header
        }
        let sessionURL = RegistrySource.resolve(location!, against: client.baseURL + "/v2/")
        guard !client.isDowngrade(sessionURL) else {
            throw RegistryError.badResponse(
                registry: client.registry, operation: operation,
                reason: "it sent the upload to plain HTTP (\(RegistryClient.origin(of: sessionURL))); refusing to send the blob unencrypted"
            )
        }
        let separator = sessionURL.contains("?") ? "&" : "?"
        // The download that feeds the upload and the upload take their connection slots together.
        let response = try await client.withUploadSlots(from: origin) { origin in
            let reader = try await origin.stream()
            let call = RegistryClient.Call(
                operation: operation, method: "PUT", target: "\(sessionURL)\(separator)digest=\(descriptor.digest)",
                headers: [("Content-Type", "application/octet-stream")], scopes: [pushScope], limits: .bulk,
                body: {
                    // curl stops reading at Content-Length, before the reader would see its end and check
                    // the digest: so check it on the last byte, while the upload can still be aborted.
                    var sent: Int64 = 0
                    return .stream(length: descriptor.size) { buffer in
                        do {
                            let n = try reader.read(into: buffer)
                            sent += Int64(n)
                            if sent >= descriptor.size { try reader.drain() }
                            return n
                        } catch {
                            throw StreamFailure(underlying: error)
                        }
                    }
                },
                authorize: client.isSameOrigin(sessionURL), retryable: false)
            let response = try await client.send(call)
            guard response.status == 201 else { throw UploadRefused(error: client.failure(call, response), response: response) }
            return response
        }
        if let header = response.header("Docker-Content-Digest"), header != descriptor.digest.description {
            throw RegistryError.mismatch("\(client.registry) stored blob \(descriptor.digest) under the digest \(header)")
        }
    }

    public func putManifest(_ manifest: ManifestBlob) async throws {
        try await put(manifest, reference: manifest.digest.description)
    }

    public func commit(root: ManifestBlob) async throws {
        if let pinned = name.digest {
            guard pinned == root.digest else {
                throw RegistryError.mismatch(
                    "the patched image has the digest \(root.digest), not the \(pinned) named by the target \(reference)")
            }
            try await put(root, reference: root.digest.description)
        } else {
            try await put(root, reference: name.tag ?? "latest")
        }
        client.logger.info("\(statistics.summary)")
    }

    @discardableResult
    func put(_ manifest: ManifestBlob, reference: String) async throws -> HTTPResponse {
        let call = RegistryClient.Call(
            operation: "accept manifest \(reference) in \(name.repository)", method: "PUT",
            target: "/v2/\(name.repository)/manifests/\(reference)",
            headers: [("Content-Type", manifest.mediaType)], scopes: [pushScope],
            body: { .bytes(manifest.bytes) })
        let response = try await client.send(call)
        guard response.status == 201 || response.status == 200 else { throw client.failure(call, response) }
        if let header = response.header("Docker-Content-Digest"), header != manifest.digest.description {
            throw RegistryError.mismatch("\(client.registry) stored manifest \(manifest.digest) under the digest \(header)")
        }
        return response
    }

    /// What the target tag names now (a pinned target: that digest, if present). The manifest is
    /// fetched and hashed rather than trusting a HEAD's Docker-Content-Digest, which not every
    /// registry sends.
    public func currentRootDigest() async throws -> Digest? {
        let reference = name.digest?.description ?? name.tag ?? "latest"
        let call = RegistryClient.Call(
            operation: "check the target \(reference) in \(name.repository)", method: "GET",
            target: "/v2/\(name.repository)/manifests/\(reference)",
            headers: [("Accept", RegistrySource.manifestAccept)], scopes: [pushScope],
            bodyLimit: Limits.manifestBytes)
        let response = try await client.send(call)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw client.failure(call, response) }
        return Digest(algorithm: .sha256, hex: DigestHasher.hex(.sha256, of: response.body))
    }

    /// Nothing to undo: blobs and manifests pushed by digest are unreferenced until the tag moves.
    public func abort() async {}
}

/// Counts what was mounted and uploaded, for the closing summary line.
final class TransferStatistics: Sendable {
    enum Kind { case mounted, uploaded }
    private struct Counts {
        var mounted: (count: Int, bytes: Int64) = (0, 0)
        var uploaded: (count: Int, bytes: Int64) = (0, 0)
    }
    private let counts = Mutex(Counts())

    func record(_ kind: Kind, _ descriptor: Descriptor) {
        counts.withLock { counts in
            switch kind {
            case .mounted: counts.mounted = (counts.mounted.count + 1, counts.mounted.bytes + descriptor.size)
            case .uploaded: counts.uploaded = (counts.uploaded.count + 1, counts.uploaded.bytes + descriptor.size)
            }
        }
    }

    var uploadedBytes: Int64 { counts.withLock { $0.uploaded.bytes } }

    var summary: String {
        counts.withLock {
            "uploaded \($0.uploaded.count) blobs (\($0.uploaded.bytes) bytes), mounted \($0.mounted.count) (\($0.mounted.bytes) bytes)"
        }
    }
}
