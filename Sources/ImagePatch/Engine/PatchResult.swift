import JSON
import OCI

/// What a patch run produced; `--json` prints it.
public struct PatchResult: Sendable {
    public struct PlatformResult: Sendable {
        public let platform: Platform
        public let sourceDigest: Digest
        public let digest: Digest
        /// The patched manifest's media type and size, for artifacts that name it as subject.
        public let mediaType: String
        public let size: Int64
        public let agentLayer: (digest: Digest, diffID: Digest, size: Int64)
        public let launcher: [String]
        /// The agent image's manifest for this platform, and its version label.
        public let agentDigest: Digest
        public let agentVersion: String?
        /// The agent layer's regular files (nil when the layer was known only by its digest).
        public let agentFiles: [AgentLayerFile]?
        /// The patched config's `created`, in seconds: the SBOM's creation time, so that the same
        /// patch gives the same SBOM.
        public let created: Int64
    }

    public let source: String
    public let agent: String
    public let target: String
    public let sourceRoot: Digest
    public let agentRoot: Digest
    public let root: ManifestBlob
    public let platforms: [PlatformResult]
    public let notices: [String]
    public let written: Bool
    /// The target already was this image, so nothing was written.
    public let upToDate: Bool
    /// For `--dry-run`: what each blob would need.
    public let plannedBlobs: [PlannedBlob]
    /// Signatures and artifacts published beside the image (`AttachOptions`); nil when none were asked for.
    public internal(set) var attachments: AttachmentReport?

    public struct PlannedBlob: Sendable {
        public let digest: Digest
        public let size: Int64
        public let action: BlobAction
    }

    public var json: JSONValue {
        var object = JSONObject()
        object["source"] = .string(source)
        object["target"] = .string(target)
        object["digest"] = .string(root.digest.description)
        object["mediaType"] = .string(root.mediaType)
        object["platforms"] = .array(
            platforms.map { result in
                var layer = JSONObject()
                layer["digest"] = .string(result.agentLayer.digest.description)
                layer["diffID"] = .string(result.agentLayer.diffID.description)
                layer["size"] = .integer(result.agentLayer.size)
                var entry = JSONObject()
                entry["platform"] = .string(result.platform.description)
                entry["sourceDigest"] = .string(result.sourceDigest.description)
                entry["digest"] = .string(result.digest.description)
                entry["agentLayer"] = .object(layer)
                entry["launcher"] = .array(result.launcher.map(JSONValue.string))
                return .object(entry)
            })
        object["status"] = .string(upToDate ? "up-to-date" : written ? "patched" : "dry-run")
        if let attachments {
            object["signatures"] = attachments.signaturesJSON
            object["attachments"] = attachments.artifactsJSON
        }
        if !written && !upToDate {
            object["dryRun"] = .bool(true)
            object["blobs"] = .array(
                plannedBlobs.map { blob in
                    .object(
                        JSONObject([
                            ("digest", .string(blob.digest.description)), ("size", .integer(blob.size)),
                            ("action", .string(blob.action.rawValue)),
                        ]))
                })
        }
        return .object(object)
    }
}
