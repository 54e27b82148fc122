import OCI

/// Errors of the patch engine. Each description is one sentence naming the thing and the place.
public enum PatchError: Error, CustomStringConvertible, Equatable {
    case hostileAgentEntry(place: String, path: String, reason: String)
    case badAgentLayer(place: String, reason: String)
    case emptyAgentTree(agent: String, root: String, includes: [String])
    case invalidOption(String, String)
    case missingAgentPlatforms(agent: String, missing: [String], available: [String])
    case missingSourcePlatforms(source: String, missing: [String], available: [String])
    case noPlatformsSelected(source: String)
    case noEntrypoint(image: String)
    case malformedConfig(image: String, field: String, reason: String)
    case alreadyPatched(image: String, agent: String)
    case cannotRepatch(image: String, reason: String)
    case launcherNotFound(agent: String, reason: String)
    case unsupportedArchitecture(String)
    case destinationCannotHoldIndex(target: String, platforms: [String])
    case attachmentsNeedRegistry(flag: String, target: String)
    case attachment(what: String, reason: String)
    /// The image was written and its tag moved; what was to be published beside it was not (all).
    case pushedWithoutAttachments(target: String, digest: Digest, missing: String, reason: String)

    public var description: String {
        switch self {
        case .hostileAgentEntry(let place, let path, let reason):
            "\(place): refusing tar entry \(path.debugDescription): \(reason)"
        case .badAgentLayer(let place, let reason): "\(place) is not a readable tar layer: \(reason)"
        case .emptyAgentTree(let agent, let root, let includes):
            "the agent image \(agent) has nothing under \(root)"
                + (includes.isEmpty ? "" : " matching --include \(includes.joined(separator: " "))")
        case .invalidOption(let name, let reason): "\(name) \(reason)"
        case .missingAgentPlatforms(let agent, let missing, let available):
            "the agent image \(agent) has no image for \(missing.joined(separator: ", ")) (it has: \(available.joined(separator: ", ")))"
        case .missingSourcePlatforms(let source, let missing, let available):
            "the source image \(source) has no image for \(missing.joined(separator: ", ")) (it has: \(available.joined(separator: ", ")))"
        case .noPlatformsSelected(let source): "the source image \(source) has no platform image to patch"
        case .noEntrypoint(let image):
            "\(image) has neither Entrypoint nor Cmd, so there is no command for the agent's launcher to start"
        case .malformedConfig(let image, let field, let reason):
            "the config of \(image) cannot be patched: its \(field) \(reason)"
        case .alreadyPatched(let image, let agent):
            "\(image) is already patched with \(agent); pass --repatch to replace that agent layer"
        case .cannotRepatch(let image, let reason): "cannot repatch \(image): \(reason)"
        case .launcherNotFound(let agent, let reason): "cannot find the agent's launcher in \(agent): \(reason)"
        case .unsupportedArchitecture(let arch): "the falcon preset has no loader for architecture \(arch) (only amd64 and arm64)"
        case .destinationCannotHoldIndex(let target, let platforms):
            "\(target) holds one platform image, but \(platforms.count) platforms were selected (\(platforms.joined(separator: ", "))); choose one with --platform or write to oci: or oci-archive:"
        case .attachmentsNeedRegistry(let flag, let target):
            "\(flag) needs a registry target (signatures and attestations live beside the image in its repository), but \(target) is not one"
        case .attachment(let what, let reason): "cannot make \(what): \(reason)"
        case .pushedWithoutAttachments(let target, let digest, let missing, let reason):
            "\(target) was pushed (\(digest)), but \(missing): \(reason)"
        }
    }
}
