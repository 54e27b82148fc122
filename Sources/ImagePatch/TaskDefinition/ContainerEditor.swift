import JSON

/// Edits of one container definition that both patchers make. Each edit replaces an entry of the
/// same identity (same env name, same volume, same dependency) in place, or appends, so running
/// the patch twice gives the same document and nothing else in the container moves.
struct ContainerEditor {
    var container: JSONObject

    /// The label that opts a container out, as the Falcon sidecar injector honours it.
    static let optOutLabel = "sensor.falcon-system.crowdstrike.com/injection"

    var name: String { container["name"]?.stringValue ?? "" }
    var image: String? { container["image"]?.stringValue }

    var isOptedOut: Bool {
        container["dockerLabels"]?[Self.optOutLabel]?.stringValue?.lowercased() == "disabled"
    }

    /// `entryPoint`/`command` as strings; an absent or empty array is nil (ECS then uses the image's).
    func strings(_ key: String) throws -> [String]? {
        guard let value = container[key], !value.isNull else { return nil }
        guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
            throw TaskDefinitionError.badField(field: "\(key) of container \(name.debugDescription)", reason: "must be an array of strings")
        }
        return array.isEmpty ? nil : array.compactMap(\.stringValue)
    }

    mutating func setStrings(_ key: String, _ values: [String]) {
        container[key] = .array(values.map(JSONValue.string))
    }

    /// `environment` gets NAME=value, replacing an older value of the same name.
    mutating func setEnvironment(_ name: String, _ value: String) throws {
        var entries = try objects("environment")
        let entry = JSONObject([("name", .string(name)), ("value", .string(value))])
        if let i = entries.firstIndex(where: { $0["name"]?.stringValue == name }) {
            var existing = entries[i]
            existing["value"] = .string(value)
            entries[i] = existing
        } else {
            entries.append(entry)
        }
        container["environment"] = .array(entries.map(JSONValue.object))
    }

    /// `linuxParameters.capabilities.add` gets the capability once.
    mutating func addCapability(_ capability: String) throws {
        var linux = container["linuxParameters"]?.objectValue ?? JSONObject()
        var capabilities = linux["capabilities"]?.objectValue ?? JSONObject()
        var add = capabilities["add"]?.arrayValue ?? []
        guard add.allSatisfy({ $0.stringValue != nil }) else {
            throw TaskDefinitionError.badField(field: "linuxParameters.capabilities.add of container \(name.debugDescription)",
                                               reason: "must be an array of strings")
        }
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
        if let i = mounts.firstIndex(where: { $0["sourceVolume"]?.stringValue == volume }) { mounts[i] = entry } else { mounts.append(entry) }
        container["mountPoints"] = .array(mounts.map(JSONValue.object))
    }

    /// `volumesFrom` gets the container's volumes, read-only.
    mutating func takeVolumes(from source: String) throws {
        var entries = try objects("volumesFrom")
        let entry = JSONObject([("sourceContainer", .string(source)), ("readOnly", .bool(true))])
        if let i = entries.firstIndex(where: { $0["sourceContainer"]?.stringValue == source }) { entries[i] = entry } else { entries.append(entry) }
        container["volumesFrom"] = .array(entries.map(JSONValue.object))
    }

    /// `dependsOn` gets the container with the condition; an older dependency on it is replaced.
    mutating func depend(on other: String, condition: String) throws {
        var entries = try objects("dependsOn")
        let entry = JSONObject([("containerName", .string(other)), ("condition", .string(condition))])
        if let i = entries.firstIndex(where: { $0["containerName"]?.stringValue == other }) { entries[i] = entry } else { entries.append(entry) }
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
        guard let array = value.arrayValue, array.allSatisfy({ $0.objectValue != nil }) else {
            throw TaskDefinitionError.badField(field: "\(key) of container \(name.debugDescription)", reason: "must be an array of objects")
        }
        return array.compactMap(\.objectValue)
    }
}
