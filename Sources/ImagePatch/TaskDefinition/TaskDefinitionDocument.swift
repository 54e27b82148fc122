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

    /// The keys `register-task-definition` takes, as listed by the AWS CLI's "Unknown parameter in
    /// input" error; `enableFaultInjection` is a newer one (2024). Others are kept, with a notice.
    public static let registerKeys: [String] = [
        "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "placementConstraints", "requiresCompatibilities", "cpu", "memory", "tags", "pidMode", "ipcMode",
        "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform", "enableFaultInjection",
    ]

    /// Fields AWS adds when it registers a task definition. `register-task-definition` refuses them
    /// ("Unknown parameter in input"), so users who start from `describe-task-definition` output
    /// would otherwise have to delete them by hand. An empty `tags` is refused too (it needs ≥ 1 item).
    public static let readOnlyKeys: [String] = [
        "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
        "registeredAt", "registeredBy", "deregisteredAt",
    ]

    /// Input is bounded: a task definition is at most 64 KiB for AWS; this leaves room for pretty printing.
    public static let maxBytes = 16 << 20

    public init(bytes: some Collection<UInt8>, source: String) throws {
        guard bytes.count <= Self.maxBytes else {
            throw TaskDefinitionError.notJSON(source: source, reason: "it is larger than \(Self.maxBytes) bytes")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw TaskDefinitionError.notJSON(source: source, reason: "\(error)") }
        guard var object = value.objectValue else { throw TaskDefinitionError.notAnObject(source: source, found: Self.kind(of: value)) }

        if let wrapped = object["taskDefinition"] {
            guard let inner = wrapped.objectValue else {
                throw TaskDefinitionError.notAnObject(source: "\(source) (its \"taskDefinition\" member)", found: Self.kind(of: wrapped))
            }
            notices.append("reading the task definition inside {\"taskDefinition\": …} (describe-task-definition output); writing it bare")
            var unwrapped = inner
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
        for key in Self.readOnlyKeys where object.removeValue(forKey: key) != nil { removed.append(key) }
        if let tags = object["tags"]?.arrayValue, tags.isEmpty {
            object.removeValue(forKey: "tags")
            removed.append("tags (empty)")
        }
        if !removed.isEmpty {
            notices.append("removed the read-only fields AWS adds, which register-task-definition refuses: \(removed.joined(separator: ", "))")
        }
        let unknown = object.keys.filter { !Self.registerKeys.contains($0) }
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
                throw TaskDefinitionError.badField(field: "containerDefinitions[\(i)]", reason: "must be an object, not \(Self.kind(of: element))")
            }
            guard let name = container["name"]?.stringValue, !name.isEmpty else {
                throw TaskDefinitionError.badField(field: "containerDefinitions[\(i)].name", reason: "must be a non-empty string")
            }
            guard names.insert(name).inserted else { throw TaskDefinitionError.duplicateContainer(name: name) }
        }
        if let volumes = object["volumes"], volumes.arrayValue?.allSatisfy({ $0.objectValue != nil }) != true {
            throw TaskDefinitionError.badField(field: "volumes", reason: "must be an array of objects")
        }
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
