import Attestation
import Hashing

/// `--sbom-format`: the document an SBOM artifact holds.
public enum SBOMFormat: String, CaseIterable, Sendable {
    case spdx, cyclonedx

    var artifactType: String { self == .spdx ? SBOMBuilder.spdxMediaType : SBOMBuilder.cycloneDXMediaType }

    func document(_ builder: SBOMBuilder) -> [UInt8] { self == .spdx ? builder.spdxJSON() : builder.cycloneDXJSON() }
}

/// What to publish beside the patched image, once its tag has moved: cosign signatures of the root
/// and of every platform manifest, and SBOM and provenance artifacts for every platform manifest.
/// Only destinations with `attachments` (registries) can hold them.
public struct AttachOptions: Sendable {
    /// `--sign-key`. Signs the image and wraps the provenance in a DSSE envelope.
    public var signingKey: ECDSAP256PrivateKey?
    public var sbomFormats: [SBOMFormat] = []
    public var provenance = false

    public init() {}

    /// The first flag that asks for an attachment, for "needs a registry target".
    public var firstFlag: String? {
        if signingKey != nil { return "--sign-key" }
        if !sbomFormats.isEmpty { return "--sbom" }
        return provenance ? "--provenance" : nil
    }
}
