import Logging
import OCI

/// One platform image to patch, and the agent image of the same platform.
public struct PlatformPatch: Sendable {
    public let platform: Platform
    public let source: ManifestBlob
    public let sourceManifest: ImageManifest
    public let sourceConfig: ImageConfig
    public let agent: ManifestBlob
    public let agentManifest: ImageManifest
}

/// What will be patched, decided before anything is built or written: the source's platform
/// images that were selected, each paired with the agent's image for that platform. Anything
/// that cannot be done (a platform missing on either side) is found here, so nothing is written.
public struct PatchPlan: Sendable {
    public let sourceRoot: ManifestBlob
    /// The agent image's root manifest or index, as read: the provenance names it.
    public let agentRoot: ManifestBlob
    /// The source index, when the source is multi-platform; nil for a single manifest.
    public let sourceIndex: ImageIndex?
    public let family: MediaTypeFamily
    public let platforms: [PlatformPatch]
    public let notices: [String]

    public static func make(source: any ImageSource, agent: any ImageSource, platforms requested: [Platform]) async throws -> PatchPlan {
        let root = try await source.rootManifest()
        let sourceImages = try await PlatformImages.read(source, root: root, role: "source image")
        guard let family = MediaTypeFamily(manifestOrIndex: sourceImages.rootMediaType) else {
            throw OCIError.unsupportedMediaType("the source image \(source.reference)", root.mediaType)
        }
        var selected = sourceImages.images
        if !requested.isEmpty {
            let missing = requested.filter { wanted in !selected.contains { $0.platform.matches(wanted) } }
            guard missing.isEmpty else {
                throw PatchError.missingSourcePlatforms(
                    source: source.reference, missing: missing.map(\.description),
                    available: selected.map(\.platform.description))
            }
            selected = selected.filter { image in requested.contains { image.platform.matches($0) } }
        }
        guard !selected.isEmpty else { throw PatchError.noPlatformsSelected(source: source.reference) }

        let agentRoot = try await agent.rootManifest()
        let agentImages = try await PlatformImages.read(agent, root: agentRoot, role: "agent image").images
        var pairs: [PlatformPatch] = []
        var missing: [String] = []
        for image in selected {
            guard let match = agentImages.first(where: { $0.platform.matches(image.platform) }) else {
                missing.append(image.platform.description)
                continue
            }
            let place = "the source image \(source.reference) for \(image.platform)"
            let bytes = try await source.readBlob(image.manifest.config, limit: Limits.configBytes, what: "the config of \(place)")
            let config = try ImageConfig(bytes: bytes, place: "the config of \(place)")
            guard config.diffIDs.count == image.manifest.layers.count else {
                throw OCIError.malformed(
                    place, "its manifest has \(image.manifest.layers.count) layers but its config has \(config.diffIDs.count) diff_ids")
            }
            pairs.append(
                PlatformPatch(
                    platform: image.platform, source: image.blob, sourceManifest: image.manifest,
                    sourceConfig: config, agent: match.blob, agentManifest: match.manifest))
        }
        guard missing.isEmpty else {
            throw PatchError.missingAgentPlatforms(
                agent: agent.reference, missing: missing,
                available: agentImages.map(\.platform.description))
        }
        return PatchPlan(
            sourceRoot: root, agentRoot: agentRoot, sourceIndex: sourceImages.index, family: family, platforms: pairs,
            notices: sourceImages.notices)
    }
}

/// The runnable platform images behind a root manifest or index.
struct PlatformImages {
    struct Image {
        var platform: Platform
        var blob: ManifestBlob
        var manifest: ImageManifest
    }

    var rootMediaType: String
    var index: ImageIndex?
    var images: [Image]
    var notices: [String]

    static func read(_ source: any ImageSource, root: ManifestBlob, role: String) async throws -> PlatformImages {
        let place = "the \(role) \(source.reference)"
        switch try ManifestDocument.parse(root, place: place) {
        case .manifest(let manifest):
            let platform = try await configPlatform(source, manifest, place: place)
            return PlatformImages(
                rootMediaType: manifest.mediaType, index: nil,
                images: [Image(platform: platform, blob: root, manifest: manifest)], notices: [])
        case .index(let index):
            var images: [Image] = []
            var notices: [String] = []
            for (i, entry) in index.manifests.enumerated() {
                let entryPlace = "\(place), manifests[\(i)] (\(entry.digest.shortDescription))"
                if entry.annotation("vnd.docker.reference.type") == "attestation-manifest" || entry.platform?.isUnknown == true {
                    notices.append("dropping \(entryPlace): an attestation, not an image (it attests the unpatched digests)")
                    continue
                }
                if MediaType.isSchema1(entry.mediaType) { throw OCIError.schema1(entryPlace) }
                guard MediaType.isManifest(entry.mediaType) else {
                    notices.append("dropping \(entryPlace): \(entry.mediaType) is not an image manifest")
                    continue
                }
                let blob = try await source.manifest(entry)
                guard case .manifest(let manifest) = try ManifestDocument.parse(blob, place: entryPlace) else {
                    throw OCIError.malformed(entryPlace, "an index entry typed as a manifest holds an index")
                }
                let platform: Platform
                if let declared = entry.platform {
                    platform = declared
                } else {
                    platform = try await configPlatform(source, manifest, place: entryPlace)
                }
                images.append(Image(platform: platform, blob: blob, manifest: manifest))
            }
            return PlatformImages(rootMediaType: index.mediaType, index: index, images: images, notices: notices)
        }
    }

    static func configPlatform(_ source: any ImageSource, _ manifest: ImageManifest, place: String) async throws -> Platform {
        let bytes = try await source.readBlob(manifest.config, limit: Limits.configBytes, what: "the config of \(place)")
        guard let platform = try ImageConfig(bytes: bytes, place: "the config of \(place)").platform else {
            throw OCIError.malformed("the config of \(place)", "it names no os and architecture")
        }
        return platform
    }
}
