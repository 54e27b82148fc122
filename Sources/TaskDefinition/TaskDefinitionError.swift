/// Why a task definition could not be patched. Each description is one sentence naming the
/// container or field, so the command's single error line says what to fix and where.
public enum TaskDefinitionError: Error, CustomStringConvertible, Equatable {
    case notJSON(source: String, reason: String)
    case tooLarge(source: String, limit: Int)
    case notAnObject(source: String, found: String)
    case badField(field: String, reason: String)
    case duplicateContainer(name: String)
    case foreignSidecarContainer(name: String, reason: String)
    case unsupportedArchitecture(String)
    case unsupportedOperatingSystem(String)
    case cannotReadImage(container: String, image: String, purpose: String, reason: String)
    case imageLacksPlatform(container: String, image: String, platform: String, available: [String])
    case badImageConfig(container: String, image: String, field: String, reason: String)
    case nothingToRun(container: String, image: String)
    case mountConflict(container: String, path: String, volume: String)
    case nothingToPatch(String)
    case invalidOption(String, String)
    case badPatchResult(file: String, reason: String)
    case patchResultLacksPlatform(file: String, platform: String, available: [String])
    case notARegistryImage(container: String, image: String)

    public var description: String {
        switch self {
        case .notJSON(let source, let reason):
            "the task definition in \(source) is not valid JSON: \(reason)"
        case .tooLarge(let source, let limit):
            "the task definition in \(source) is larger than the \(limit)-byte limit"
        case .notAnObject(let source, let found):
            "the task definition in \(source) must be a JSON object (bare, or as {\"taskDefinition\": {…}}), not \(found)"
        case .badField(let field, let reason):
            "the task definition's \(field) \(reason)"
        case .duplicateContainer(let name):
            "the task definition has two containers named \(name.debugDescription)"
        case .foreignSidecarContainer(let name, let reason):
            "the task definition already has a container named \(name.debugDescription) that imagepatch did not add (\(reason)); rename or remove it"
        case .unsupportedArchitecture(let value):
            "runtimePlatform.cpuArchitecture \(value.debugDescription) is not supported (only X86_64 and ARM64)"
        case .unsupportedOperatingSystem(let value):
            "runtimePlatform.operatingSystemFamily \(value.debugDescription) is not supported: the agent runs in Linux containers only"
        case .cannotReadImage(let container, let image, let purpose, let reason):
            "cannot read the image \(image) of container \(container.debugDescription) \(purpose): \(reason)"
        case .imageLacksPlatform(let container, let image, let platform, let available):
            "the image \(image) of container \(container.debugDescription) has no \(platform) image (it has: \(available.joined(separator: ", ")))"
        case .badImageConfig(let container, let image, let field, let reason):
            "the config of image \(image) (container \(container.debugDescription), which has no entryPoint) is refused: its \(field) \(reason)"
        case .nothingToRun(let container, let image):
            "container \(container.debugDescription) has no entryPoint or command, and its image \(image) has neither Entrypoint nor Cmd, so there is nothing for the agent's launcher to start"
        case .mountConflict(let container, let path, let volume):
            "container \(container.debugDescription) already mounts volume \(volume.debugDescription) at \(path), where the agent's volume goes"
        case .nothingToPatch(let reason):
            "nothing to patch: \(reason)"
        case .invalidOption(let name, let reason):
            "\(name) \(reason)"
        case .badPatchResult(let file, let reason):
            "the patch result \(file) is not the output of `imagepatch patch --json`: \(reason)"
        case .patchResultLacksPlatform(let file, let platform, let available):
            "the patched image in \(file) has no \(platform) image for this task (it has: \(available.joined(separator: ", ")))"
        case .notARegistryImage(let container, let image):
            "container \(container.debugDescription) would get the patched image \(image), which is not in a registry ECS can pull from; push it first (then use --image-map)"
        }
    }
}
