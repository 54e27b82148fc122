import ImagePatch
import JSON

/// The JSON type a task-definition field must have (per the ECS API model). Checked before patching,
/// so a wrong type is one error naming the container and the field, never a field skipped or
/// rewritten in silence.
indirect enum JSONShape: Sendable {
    case string
    case boolean
    case number
    case array(of: JSONShape)
    /// An object whose listed members, when present, have their shapes; other members are not checked.
    case object([(String, JSONShape)])
    /// An object whose every value has the shape (`dockerLabels`).
    case map(of: JSONShape)

    /// The first place where `value` does not fit, as the field's path and what it must be.
    /// A member that is null counts as absent, as the patchers treat it.
    func mismatch(_ value: JSONValue, at path: String) -> (field: String, reason: String)? {
        guard fits(value) else {
            return (path, "must be \(description), not \(value.kindDescription)")
        }
        switch (self, value) {
        case (.array(let element), .array(let items)):
            for (i, item) in items.enumerated() {
                if let found = element.mismatch(item, at: "\(path)[\(i)]") { return found }
            }
        case (.object(let members), .object(let object)):
            for (key, shape) in members {
                guard let member = object[key], !member.isNull else { continue }
                if let found = shape.mismatch(member, at: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        case (.map(let element), .object(let object)):
            for (key, member) in object {
                if let found = element.mismatch(member, at: "\(path)[\(key.debugDescription)]") { return found }
            }
        default:
            break
        }
        return nil
    }

    private func fits(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.boolean, .bool), (.number, .number), (.array, .array), (.object, .object), (.map, .object):
            true
        default:
            false
        }
    }

    private var description: String {
        switch self {
        case .string: "a string"
        case .boolean: "a boolean"
        case .number: "a number"
        case .array(let element): "an array of \(element.plural)"
        case .object, .map: "an object"
        }
    }

    private var plural: String {
        switch self {
        case .string: "strings"
        case .boolean: "booleans"
        case .number: "numbers"
        case .array: "arrays"
        case .object, .map: "objects"
        }
    }
}

/// The fields imagepatch reads or edits, and their types in RegisterTaskDefinition's model.
enum TaskDefinitionShape {
    static let tags = JSONShape.array(of: .object([("key", .string), ("value", .string)]))

    static let taskDefinition = JSONShape.object([
        ("family", .string),
        ("volumes", .array(of: .object([("name", .string)]))),
        ("runtimePlatform", .object([("cpuArchitecture", .string), ("operatingSystemFamily", .string)])),
        ("requiresCompatibilities", .array(of: .string)),
        ("tags", tags),
    ])

    static let container = JSONShape.object([
        ("name", .string),
        ("image", .string),
        ("essential", .boolean),
        ("cpu", .number),
        ("user", .string),
        ("entryPoint", .array(of: .string)),
        ("command", .array(of: .string)),
        ("environment", .array(of: .object([("name", .string), ("value", .string)]))),
        ("mountPoints", .array(of: .object([("sourceVolume", .string), ("containerPath", .string), ("readOnly", .boolean)]))),
        ("volumesFrom", .array(of: .object([("sourceContainer", .string), ("readOnly", .boolean)]))),
        ("dependsOn", .array(of: .object([("containerName", .string), ("condition", .string)]))),
        ("linuxParameters", .object([("capabilities", .object([("add", .array(of: .string)), ("drop", .array(of: .string))]))])),
        ("dockerLabels", .map(of: .string)),
        ("repositoryCredentials", .object([("credentialsParameter", .string)])),
    ])
}
