import ImagePatch
import JSON

/// Edits of one container definition that both patchers make. Each edit replaces an entry of the
/// same identity (same env name, same volume, same dependency) in place, or appends, so running
/// the patch twice gives the same document and nothing else in the container moves.
struct ContainerEditor {
    var container: JSONObject

    /// The label that opts a container out, as the Falcon sidecar injector honours it.
    static let optOutLabel = SidecarAgent.optOutLabel

    var name: String { container["name"]?.stringValue ?? "" }
    var image: String? { container["image"]?.stringValue }

    var isOptedOut: Bool {
        container["dockerLabels"]?[Self.optOutLabel]?.stringValue?.lowercased() == "disabled"
    }

    /// `entryPoint`/`command` as strings; an absent or empty array is nil (ECS then uses the image's).
    func strings(_ key: String) throws -> [String]? {
        guard let value = container[key], !value.isNull else { return nil }
        try check(value, is: .array(of: .string), at: key)
        let array = value.arrayValue ?? []
        return array.isEmpty ? nil : array.compactMap(\.stringValue)
    }

    mutating func setStrings(_ key: String, _ values: [String]) {
        container[key] = .array(values.map(JSONValue.string))
    }

    /// `environment` gets NAME=value. The first entry of that name is updated in place and any later
    /// ones are removed: ECS passes duplicates through, and an old value must not survive beside the new.
    mutating func setEnvironment(_ name: String, _ value: String) throws {
        var entries = try objects("environment")
        if let i = entries.firstIndex(where: { $0["name"]?.stringValue == name }) {
            entries[i]["value"] = .string(value)
            entries = entries.enumerated().filter { $0.offset <= i || $0.element["name"]?.stringValue != name }.map(\.element)
        } else {
            entries.append(JSONObject([("name", .string(name)), ("value", .string(value))]))
        }
        container["environment"] = .array(entries.map(JSONValue.object))
    }

    /// `linuxParameters.capabilities.add` gets the capability once.
    mutating func addCapability(_ capability: String) throws {
        var linux = container["linuxParameters"]?.objectValue ?? JSONObject()
        var capabilities = linux["capabilities"]?.objectValue ?? JSONObject()
        if let value = capabilities["add"], !value.isNull {
            try check(value, is: .array(of: .string), at: "linuxParameters.capabilities.add")
        }
        var add = capabilities["add"]?.arrayValue ?? []
        if !add.contains(.string(capability)) { add.append(.string(capability)) }
        capabilities["add"] = .array(add)
        linux["capabilities"] = .object(capabilities)
        container["linuxParameters"] = .object(linux)
    }

    /// `mountPoints` gets the volume at `path`; an older mount of the same volume is replaced.
    mutating func mount(volume: String, at path: String) throws {
        var mounts = try objects("mountPoints")
        if let other = mounts.first(where: { $0["containerPath"]?.stringValue == path && $0["sourceVolume"]?.stringValue != volume }) {
            throw TaskDefinitionError.mountConflict(container: name, path: path, volume: other["sourceVolume"]?.stringValue ?? "")
        }
        let entry = JSONObject([("readOnly", .bool(false)), ("containerPath", .string(path)), ("sourceVolume", .string(volume))])
        if let i = mounts.firstIndex(where: { $0["sourceVolume"]?.stringValue == volume }) {
            mounts[i] = entry
        } else {
            mounts.append(entry)
        }
        container["mountPoints"] = .array(mounts.map(JSONValue.object))
    }

    /// `volumesFrom` gets the container's volumes, read-only.
    mutating func takeVolumes(from source: String) throws {
        var entries = try objects("volumesFrom")
        let entry = JSONObject([("sourceContainer", .string(source)), ("readOnly", .bool(true))])
        if let i = entries.firstIndex(where: { $0["sourceContainer"]?.stringValue == source }) {
            entries[i] = entry
        } else {
            entries.append(entry)
        }
        container["volumesFrom"] = .array(entries.map(JSONValue.object))
    }

    /// `dependsOn` gets the container with the condition; an older dependency on it is replaced.
    mutating func depend(on other: String, condition: String) throws {
        var entries = try objects("dependsOn")
        let entry = JSONObject([("containerName", .string(other)), ("condition", .string(condition))])
        if let i = entries.firstIndex(where: { $0["containerName"]?.stringValue == other }) {
            entries[i] = entry
        } else {
            entries.append(entry)
        }
        container["dependsOn"] = .array(entries.map(JSONValue.object))
    }

    /// `launcher + entryPoint`, unless the entryPoint already starts with one of the launchers this
    /// agent writes (a second run, or a task patched by the vendor's tool): then that one is swapped
    /// for `launcher`, so the result never holds two.
    static func wrap(_ entryPoint: [String], with launcher: [String], known: [[String]]) -> [String] {
        for existing in [launcher] + known where !existing.isEmpty && entryPoint.starts(with: existing) {
            return launcher + entryPoint.dropFirst(existing.count)
        }
        return launcher + entryPoint
    }

    private func objects(_ key: String) throws -> [JSONObject] {
        guard let value = container[key], !value.isNull else { return [] }
        try check(value, is: .array(of: .object([])), at: key)
        return value.arrayValue?.compactMap(\.objectValue) ?? []
    }

    /// The document was checked against `TaskDefinitionShape` when it was read; this keeps an edit
    /// safe if a caller changed it since.
    private func check(_ value: JSONValue, is shape: JSONShape, at key: String) throws {
        if let (field, reason) = shape.mismatch(value, at: key) {
            throw TaskDefinitionError.badField(field: "\(field) of container \(name.debugDescription)", reason: reason)
        }
    }
}
