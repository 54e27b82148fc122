import Attestation
import JSON
import OCI

/// What `inspect` found beside one manifest in a registry repository: its cosign signatures (`sha256-<hex>.sig`)
/// and the artifacts (SBOMs, provenance) that name it as their subject.
public struct FoundAttachments: Sendable {
    /// The `.sig` tag of the manifest and how many cosign signature layers it holds.
    public struct Signatures: Sendable {
        public let tag: String
        public let manifest: Digest
        public let count: Int
    }

    public struct Referrer: Sendable {
        public let artifactType: String?
        public let digest: Digest
        public let mediaType: String
        /// The referrers API, or the fallback tag (`sha256-<hex>`) that listed it.
        public let listing: AttachmentReport.Listing
    }

    public let signatures: Signatures?
    public let referrers: [Referrer]

    public static let none = FoundAttachments(signatures: nil, referrers: [])

    var signaturesJSON: JSONValue {
        guard let signatures else { return .null }
        return .object(
            JSONObject([
                ("tag", .string(signatures.tag)), ("manifest", .string(signatures.manifest.description)),
                ("count", .integer(Int64(signatures.count))),
            ]))
    }

    var referrersJSON: JSONValue {
        .array(
            referrers.map { referrer in
                var entry = JSONObject()
                entry["artifactType"] = referrer.artifactType.map(JSONValue.string) ?? .null
                entry["digest"] = .string(referrer.digest.description)
                entry["mediaType"] = .string(referrer.mediaType)
                entry["via"] = .string(referrer.listing.name)
                if let tag = referrer.listing.tag { entry["tag"] = .string(tag) }
                return .object(entry)
            })
    }
}

/// Reads the signatures and referrers of manifests. Everything read is untrusted: a tag that holds
/// something unreadable becomes one notice naming it, and the rest of `inspect` goes on.
enum AttachmentInspector {
    struct Result {
        var reports: [Digest: FoundAttachments]
        var notices: [String]
    }

    /// The attachments of each digest (duplicates read once); notices in the order of `digests`.
    static func read(_ reader: any AttachmentReader, digests: [Digest]) async throws -> Result {
        var unique: [Digest] = []
        for digest in digests where !unique.contains(digest) { unique.append(digest) }
        let found = try await withThrowingTaskGroup(of: (Int, FoundAttachments, [String]).self) { group in
            for (position, digest) in unique.enumerated() {
                group.addTask {
                    let (report, notices) = try await attachments(of: digest, in: reader)
                    return (position, report, notices)
                }
            }
            var found: [(Int, FoundAttachments, [String])] = []
            for try await item in group { found.append(item) }
            return found.sorted { $0.0 < $1.0 }
        }
        var result = Result(reports: [:], notices: [])
        for (position, report, notices) in found {
            result.reports[unique[position]] = report
            result.notices += notices
        }
        return result
    }

    static func attachments(of digest: Digest, in reader: any AttachmentReader) async throws -> (FoundAttachments, [String]) {
        var notices: [String] = []
        let signatures = try await signatures(of: digest, in: reader, notices: &notices)
        let referrers = try await referrers(of: digest, in: reader, notices: &notices)
        return (FoundAttachments(signatures: signatures, referrers: referrers), notices)
    }

    static func signatures(
        of digest: Digest, in reader: any AttachmentReader, notices: inout [String]
    ) async throws -> FoundAttachments.Signatures? {
        let tag = CosignSignature.tag(for: digest)
        let place = "the signature tag \(tag) in \(reader.repositoryReference)"
        let blob: ManifestBlob
        do {
            guard let found = try await reader.taggedManifest(tag) else { return nil }
            blob = found
        } catch {
            try rethrowIfCancelled(error)
            notices.append("could not read \(place), so its signatures are not listed: \(error)")
            return nil
        }
        do {
            guard case .manifest(let manifest) = try ManifestDocument.parse(blob, place: place) else {
                notices.append("\(place) holds an index, not a signature manifest; its signatures are not listed")
                return nil
            }
            let count = manifest.layers.filter { $0.mediaType == CosignSignature.layerMediaType }.count
            return FoundAttachments.Signatures(tag: tag, manifest: blob.digest, count: count)
        } catch {
            notices.append("\(error); its signatures are not listed")
            return nil
        }
    }

    /// The referrers API's list when the registry has one, else the fallback tag's index.
    static func referrers(
        of digest: Digest, in reader: any AttachmentReader, notices: inout [String]
    ) async throws -> [FoundAttachments.Referrer] {
        let repository = reader.repositoryReference
        let apiIndex: [UInt8]?
        do { apiIndex = try await reader.referrersIndex(of: digest) } catch {
            try rethrowIfCancelled(error)
            notices.append("could not list the referrers of \(digest) in \(repository): \(error)")
            return []
        }
        if let apiIndex {
            let place = "the referrers API's index of \(digest) in \(repository)"
            return entries(apiIndex, listing: .api, place: place, notices: &notices)
        }
        let tag = ReferrersIndex.fallbackTag(for: digest)
        let place = "the referrers tag \(tag) in \(repository)"
        let blob: ManifestBlob
        do {
            guard let found = try await reader.taggedManifest(tag) else { return [] }
            blob = found
        } catch {
            try rethrowIfCancelled(error)
            notices.append("could not read \(place), so its referrers are not listed: \(error)")
            return []
        }
        if !blob.mediaType.isEmpty, blob.mediaType != MediaType.ociIndex {
            notices.append(
                "\(place) holds \(blob.mediaType.debugDescription), not an OCI image index; its referrers are not listed")
            return []
        }
        return entries(blob.bytes, listing: .tag(tag), place: place, notices: &notices)
    }

    static func entries(
        _ index: [UInt8], listing: AttachmentReport.Listing, place: String, notices: inout [String]
    ) -> [FoundAttachments.Referrer] {
        do {
            return try ReferrersIndex.entries(of: index, place: place).map { entry in
                FoundAttachments.Referrer(
                    artifactType: entry.json["artifactType"]?.stringValue, digest: entry.digest,
                    mediaType: entry.mediaType, listing: listing)
            }
        } catch {
            notices.append("\(error); its referrers are not listed")
            return []
        }
    }

    /// An interrupted or timed-out run stops; any other failure to read an attachment is a notice.
    static func rethrowIfCancelled(_ error: any Error) throws {
        if error is CancellationError || Task.isCancelled { throw error }
    }
}
