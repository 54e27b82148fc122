import ImagePatch
import JSON

/// An ECS task definition as JSON, edited in place so that every field imagepatch does not touch
/// keeps its value and its position (the console, `describe-task-definition` and hand-written files
/// all round-trip).
///
/// Accepted input: the bare object (as written for `register-task-definition --cli-input-json`, or
/// as the console shows it), or `describe-task-definition`'s `{"taskDefinition": {…}, "tags": […]}`.
/// The output is always the bare object, ready for `register-task-definition`.
public struct TaskDefinitionDocument: Sendable {
    public var object: JSONObject
    /// What was changed on the way in (unwrapping, stripped fields), for notices on stderr.
    public private(set) var notices: [String] = []

    /// Input is bounded, since it may come from a pipe. AWS limits a task definition to 64 KiB of JSON
    /// for register-task-definition; describe-task-definition's output adds the read-only fields and
    /// pretty printing (indentation alone can triple a deeply nested definition), so 1 MiB leaves
    /// room for any real input while a runaway stream (`/dev/zero`) stops early.
    public static let maxBytes = 1 << 20

    public init(bytes: some Collection<UInt8>, source: String) throws {
        guard bytes.count <= Self.maxBytes else {
            throw TaskDefinitionError.tooLarge(source: source, limit: Self.maxBytes)
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw TaskDefinitionError.notJSON(source: source, reason: "\(error)") }
        guard var object = value.objectValue else { throw TaskDefinitionError.notAnObject(source: source, found: value.kindDescription) }

        if let wrapped = object["taskDefinition"] {
            guard let inner = wrapped.objectValue else {
                throw TaskDefinitionError.notAnObject(source: "\(source) (its \"taskDefinition\" member)", found: wrapped.kindDescription)
            }
            notices.append("reading the task definition inside {\"taskDefinition\": …} (describe-task-definition output); writing it bare")
            var unwrapped = inner
            if let tags = object["tags"], !tags.isNull, let (field, reason) = TaskDefinitionShape.tags.mismatch(tags, at: "tags") {
                throw TaskDefinitionError.badField(field: "\(field) beside \"taskDefinition\"", reason: reason)
            }
            // `describe-task-definition --include TAGS` puts the tags beside the task definition.
            if let tags = object["tags"], tags.arrayValue?.isEmpty == false, unwrapped["tags"]?.arrayValue?.isEmpty ?? true {
                unwrapped["tags"] = tags
                notices.append("moving the describe output's tags into the task definition")
            }
            let ignored = object.keys.filter { $0 != "taskDefinition" && $0 != "tags" }
            if !ignored.isEmpty {
                notices.append("ignoring \(ignored.joined(separator: ", ")) beside \"taskDefinition\"")
            }
            object = unwrapped
        }
        self.object = object
        try validate()
        stripReadOnlyFields()
    }

    public init(object: JSONObject) throws {
        self.object = object
        try validate()
        stripReadOnlyFields()
    }

    /// Pretty JSON with a final newline.
    public func serialized() -> [UInt8] {
        JSONValue.object(object).serialized(indent: 2) + [UInt8(ascii: "\n")]
    }

    public var containers: [JSONObject] {
        object["containerDefinitions"]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    public mutating func setContainers(_ containers: [JSONObject]) {
        object["containerDefinitions"] = .array(containers.map(JSONValue.object))
    }

    private mutating func stripReadOnlyFields() {
        var removed: [String] = []
        for key in ECSTaskDefinitionModel.readOnlyKeys where object.removeValue(forKey: key) != nil { removed.append(key) }
        if let tags = object["tags"]?.arrayValue, tags.isEmpty {
            object.removeValue(forKey: "tags")
            removed.append("tags (empty)")
        }
        if !removed.isEmpty {
            notices.append(
                "removed the read-only fields AWS adds, which register-task-definition refuses: \(removed.joined(separator: ", "))")
        }
        let unknown = object.keys.filter { !ECSTaskDefinitionModel.registerKeys.contains($0) }
        if !unknown.isEmpty {
            notices.append("kept \(unknown.joined(separator: ", ")), which register-task-definition may not accept")
        }
    }

    /// The shape the patchers rely on; anything else is reported by field rather than patched around.
    private func validate() throws {
        guard let definitions = object["containerDefinitions"] else {
            throw TaskDefinitionError.badField(field: "containerDefinitions", reason: "is missing")
        }
        guard let array = definitions.arrayValue, !array.isEmpty else {
            throw TaskDefinitionError.badField(field: "containerDefinitions", reason: "must be a non-empty array")
        }
        var names = Set<String>()
        for (i, element) in array.enumerated() {
            guard let container = element.objectValue else {
                throw TaskDefinitionError.badField(
                    field: "containerDefinitions[\(i)]", reason: "must be an object, not \(element.kindDescription)")
            }
            guard let name = container["name"]?.stringValue, !name.isEmpty else {
                throw TaskDefinitionError.badField(field: "containerDefinitions[\(i)].name", reason: "must be a non-empty string")
            }
            guard names.insert(name).inserted else { throw TaskDefinitionError.duplicateContainer(name: name) }
            if let (field, reason) = TaskDefinitionShape.container.mismatch(element, at: "") {
                throw TaskDefinitionError.badField(field: "\(field) of container \(name.debugDescription)", reason: reason)
            }
        }
        if let (field, reason) = TaskDefinitionShape.taskDefinition.mismatch(.object(object), at: "") {
            throw TaskDefinitionError.badField(field: field, reason: reason)
        }
    }
}
