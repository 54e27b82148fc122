import Attestation
import OCI

/// Pushes an OCI 1.1 artifact and makes it findable from its subject: through the referrers API
/// where the registry has one, else by adding it to the referrers tag schema's index.
enum ReferrerPublisher {
    static func publish(_ artifact: ArtifactManifest, subject: Digest, to writer: any AttachmentWriter) async throws
        -> AttachmentReport.Listing
    {
        try await writer.putBlob(artifact.layer, descriptor: artifact.layerDescriptor)
        try await writer.putBlob(ArtifactManifest.emptyConfig, descriptor: ArtifactManifest.emptyConfigDescriptor)
        let manifest = ManifestBlob(bytes: artifact.manifest, mediaType: MediaType.ociManifest)
        // OCI-Subject in the answer: the registry indexed it. A registry that does not say so may
        // still have the API (distribution 1.1 made the header optional): ask it.
        if try await writer.putManifest(manifest, reference: artifact.digest.description) { return .api }
        if try await writer.referrersIndex(of: subject) != nil { return .api }
        let tag = ReferrersIndex.fallbackTag(for: subject)
        // Read, add, write: others' entries stay. A concurrent writer can still race (as with cosign
        // and oras): registries offer no conditional PUT of a tag.
        let existing = try await writer.taggedManifest(tag)
        let update = try ReferrersIndex.adding(
            artifact.descriptor, to: existing?.bytes,
            place: "the referrers index \(writer.repositoryReference):\(tag)")
        if update.changed {
            try await writer.putManifest(ManifestBlob(bytes: update.index, mediaType: MediaType.ociIndex), reference: tag)
        }
        return .tag(tag)
    }
}
