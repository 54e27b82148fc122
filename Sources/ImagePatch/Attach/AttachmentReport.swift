import JSON
import OCI

/// What was published beside the patched image: `--json` names it.
public struct AttachmentReport: Sendable {
    public struct Signature: Sendable {
        /// The signed manifest (the root or a platform manifest).
        public let subject: Digest
        public let tag: String
        /// The signature manifest now under `tag`.
        public let manifest: Digest
        /// False when the tag already held this key's signature of the same payload.
        public let added: Bool
    }

    /// How a verifier finds an artifact: the registry's referrers API, or the fallback tag.
    public enum Listing: Sendable, Equatable {
        case api
        case tag(String)

        /// "api" or "tag", as the JSON and text outputs say it.
        public var name: String { self == .api ? "api" : "tag" }
        public var tag: String? { if case .tag(let tag) = self { tag } else { nil } }
    }

    public struct Artifact: Sendable {
        public let subject: Digest
        public let platform: Platform
        public let artifactType: String
        public let digest: Digest
        public let listing: Listing
    }

    public var signatures: [Signature] = []
    public var artifacts: [Artifact] = []

    public init() {}

    var signaturesJSON: JSONValue {
        .array(
            signatures.map { signature in
                .object(
                    JSONObject([
                        ("subject", .string(signature.subject.description)), ("tag", .string(signature.tag)),
                        ("manifest", .string(signature.manifest.description)), ("added", .bool(signature.added)),
                    ]))
            })
    }

    var artifactsJSON: JSONValue {
        .array(
            artifacts.map { artifact in
                var entry = JSONObject([
                    ("subject", .string(artifact.subject.description)), ("platform", .string(artifact.platform.description)),
                    ("artifactType", .string(artifact.artifactType)), ("mediaType", .string(MediaType.ociManifest)),
                    ("digest", .string(artifact.digest.description)),
                ])
                entry["referrers"] = .string(artifact.listing.name)
                if let tag = artifact.listing.tag { entry["tag"] = .string(tag) }
                return .object(entry)
            })
    }
}
