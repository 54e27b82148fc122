/// Why a manifest could not be injected. Each description is one line naming the document, object
/// or container, so the command's single error line says what to fix and where.
public enum KubernetesError: Error, CustomStringConvertible, Equatable {
    case notYAML(source: String, reason: String)
    case notJSON(source: String, reason: String)
    case notAnObject(source: String, document: Int, found: String)
    case badField(object: String, field: String, reason: String)
    case foreignInitContainer(object: String, name: String, reason: String)
    case unsupportedArchitecture(object: String, String)
    case unsupportedOperatingSystem(object: String, String)
    case noPodVolume(preset: String)
    case noPodForm(preset: String)
    case missingOption(String, String)
    case inObject(object: String, reason: String)

    public var description: String {
        switch self {
        case .notYAML(let source, let reason):
            "\(source) is not valid YAML: \(reason)"
        case .notJSON(let source, let reason):
            "\(source) is not valid JSON: \(reason)"
        case .notAnObject(let source, let document, let found):
            "document \(document) of \(source) must be a Kubernetes object (a mapping with apiVersion and kind), not \(found)"
        case .badField(let object, let field, let reason):
            "\(object): \(field) \(reason)"
        case .foreignInitContainer(let object, let name, let reason):
            "\(object) already has a container named \(name.debugDescription) that imagepatch did not add (\(reason)); rename or remove it"
        case .unsupportedArchitecture(let object, let value):
            "\(object) is pinned to kubernetes.io/arch \(value.debugDescription), which the agent does not support (only amd64 and arm64)"
        case .unsupportedOperatingSystem(let object, let value):
            "\(object) is pinned to kubernetes.io/os \(value.debugDescription): the agent runs in Linux containers only"
        case .noPodVolume(let preset):
            "--preset \(preset) delivers its agent by volumesFrom, which pods do not have; it has no pod form"
        case .noPodForm(let preset):
            "--preset \(preset) has no init-container form, so it cannot be injected into pods; patch the images with `imagepatch patch` instead"
        case .missingOption(let option, let reason):
            "\(option) \(reason)"
        case .inObject(let object, let reason):
            "\(object): \(reason)"
        }
    }
}
