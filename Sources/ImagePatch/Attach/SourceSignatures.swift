import Attestation
import OCI

/// The source's own signatures vouch for the source's digests. Patching changes every digest, so
/// they are never copied; the user is told the target needs signing of its own.
enum SourceSignatures {
    /// A notice when the source's root has a cosign signature or attestation tag; nil otherwise,
    /// and when the source cannot say (not a registry, or the lookup failed: it only informs).
    static func notice(_ source: any ImageSource, root: Digest, signing: Bool) async -> String? {
        guard let reader = source.attachments else { return nil }
        for tag in [CosignSignature.tag(for: root), "\(root.algorithm.rawValue)-\(root.hex).att"] {
            guard (try? await reader.taggedManifest(tag)) != nil else { continue }
            let advice =
                signing
                ? "the target is signed anew with --sign-key"
                : "sign the target anew with --sign-key"
            return
                "the source image \(source.reference) is signed (\(reader.repositoryReference):\(tag)); its signatures vouch for the source's digests, not the patched image's, so they are not copied: \(advice) (the provenance, with --provenance, records the source's digest)"
        }
        return nil
    }
}
