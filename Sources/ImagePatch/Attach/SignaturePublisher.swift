import Attestation
import Hashing
import OCI

/// Signs one manifest the way cosign does: a layer added under `sha256-<hex>.sig`, next to the
/// signatures already there.
enum SignaturePublisher {
    static func sign(
        _ subject: Digest, key: ECDSAP256PrivateKey, optional: [String: String], to writer: any AttachmentWriter
    ) async throws -> AttachmentReport.Signature {
        let tag = CosignSignature.tag(for: subject)
        let payload = CosignSignature.payload(
            dockerReference: writer.repositoryReference, manifestDigest: subject, optional: optional)
        let layer = CosignSignature.Layer(payload: payload, key: key)
        let existing = try await writer.taggedManifest(tag)
        let signed = try CosignSignature.adding(
            layer, publicKey: key.publicKey, to: existing?.bytes,
            place: "the signature manifest \(writer.repositoryReference):\(tag)")
        guard signed.added else {
            return .init(subject: subject, tag: tag, manifest: existing!.digest, added: false)
        }
        try await writer.putBlob(layer.payload, descriptor: layer.descriptor)
        try await writer.putBlob(signed.config, descriptor: signed.configDescriptor)
        try await writer.putManifest(ManifestBlob(bytes: signed.manifest, mediaType: MediaType.ociManifest), reference: tag)
        return .init(subject: subject, tag: tag, manifest: signed.digest, added: true)
    }
}
