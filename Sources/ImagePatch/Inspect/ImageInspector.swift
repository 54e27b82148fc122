import JSON
import OCI

/// What `imagepatch inspect` reports for each platform image.
public struct ImageReport: Sendable {
    public struct PlatformReport: Sendable {
        public let platform: Platform
        public let digest: Digest
        public let mediaType: String
        public let config: ImageConfig
        public let layers: [Descriptor]
        /// Signatures and referrers of this platform manifest; nil when the source is not a registry.
        public let attachments: FoundAttachments?

        public var patchedWith: String? { config.label(PatchLabels.agent) }
    }

    public let reference: String
    public let root: ManifestBlob
    public let platforms: [PlatformReport]
    /// Signatures and referrers of the root digest (for a single manifest, those of its one platform);
    /// nil when the source is not a registry.
    public let rootAttachments: FoundAttachments?
    public let notices: [String]

    public var json: JSONValue {
        var object = JSONObject()
        object["reference"] = .string(reference)
        object["digest"] = .string(root.digest.description)
        object["mediaType"] = .string(root.mediaType)
        object["signatures"] = rootAttachments?.signaturesJSON ?? .null
        object["referrers"] = rootAttachments?.referrersJSON ?? .array([])
        object["platforms"] = .array(
            platforms.map { report in
                var entry = JSONObject()
                entry["platform"] = .string(report.platform.description)
                entry["digest"] = .string(report.digest.description)
                entry["mediaType"] = .string(report.mediaType)
                entry["entrypoint"] = report.config.runtime["Entrypoint"] ?? .null
                entry["cmd"] = report.config.runtime["Cmd"] ?? .null
                entry["user"] = report.config.runtime["User"] ?? .null
                entry["env"] = report.config.runtime["Env"] ?? .array([])
                entry["layers"] = .array(
                    report.layers.map { layer in
                        .object(
                            JSONObject([
                                ("mediaType", .string(layer.mediaType)), ("digest", .string(layer.digest.description)),
                                ("size", .integer(layer.size)),
                            ]))
                    })
                var patched = JSONObject()
                if let agent = report.patchedWith {
                    patched["agent"] = .string(agent)
                    patched["agentDigest"] = report.config.label(PatchLabels.agentDigest).map(JSONValue.string) ?? .null
                    patched["preset"] = report.config.label(PatchLabels.preset).map(JSONValue.string) ?? .null
                    patched["agentLayer"] = report.config.label(PatchLabels.agentLayer).map(JSONValue.string) ?? .null
                    entry["patched"] = .object(patched)
                } else {
                    entry["patched"] = .null
                }
                entry["signatures"] = report.attachments?.signaturesJSON ?? .null
                entry["referrers"] = report.attachments?.referrersJSON ?? .array([])
                return .object(entry)
            })
        return .object(object)
    }
}

public enum ImageInspector {
    public static func inspect(_ source: any ImageSource) async throws -> ImageReport {
        let root = try await source.rootManifest()
        let images = try await PlatformImages.read(source, root: root, role: "image")
        var attachments: AttachmentInspector.Result?
        if let reader = source.attachments {
            attachments = try await AttachmentInspector.read(reader, digests: [root.digest] + images.images.map(\.blob.digest))
        }
        var reports: [ImageReport.PlatformReport] = []
        for image in images.images {
            let place = "the config of \(source.reference) for \(image.platform)"
            let bytes = try await source.readBlob(image.manifest.config, limit: Limits.configBytes, what: place)
            reports.append(
                .init(
                    platform: image.platform, digest: image.blob.digest, mediaType: image.manifest.mediaType,
                    config: try ImageConfig(bytes: bytes, place: place), layers: image.manifest.layers,
                    attachments: attachments.map { $0.reports[image.blob.digest] ?? .none }))
        }
        return ImageReport(
            reference: source.reference, root: root, platforms: reports,
            rootAttachments: attachments.map { $0.reports[root.digest] ?? .none },
            notices: images.notices + (attachments?.notices ?? []))
    }
}
