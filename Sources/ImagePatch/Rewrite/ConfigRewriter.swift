import JSON
import OCI

/// Edits an application config to start the agent: launcher before the Entrypoint, the agent's
/// environment, labels, a history entry and the new diff_id. Fields it does not edit are left as
/// they are, in place.
struct ConfigRewriter {
    let settings: ResolvedSettings
    let agentReference: String
    let agentDigest: Digest
    let launcher: [String]
    let layer: AgentLayer
    let layerKey: AgentLayerKey
    let created: Int64

    struct Result {
        var config: ImageConfig
        /// True when an earlier agent layer (the top one) must be dropped from the manifest.
        var droppedPreviousAgentLayer: Bool
    }

    /// The checks that need no agent layer: fields of the types the rewrite edits, a command to
    /// wrap, and not patched already (or patched with the agent layer still on top, for --repatch).
    static func check(_ config: ImageConfig, repatch: Bool, image: String) throws {
        try checkTypes(config, image: image)
        if let agent = config.label(PatchLabels.agent) {
            guard repatch else { throw PatchError.alreadyPatched(image: image, agent: agent) }
            guard let layer = config.label(PatchLabels.agentLayer), config.diffIDs.last == layer else {
                throw PatchError.cannotRepatch(image: image, reason: topLayerReason)
            }
            return
        }
        guard !(config.entrypoint ?? []).isEmpty || !(config.cmd ?? []).isEmpty else { throw PatchError.noEntrypoint(image: image) }
    }

    /// The rewrite replaces Entrypoint, Env and Labels, and reads Cmd: a field of another type would
    /// be silently replaced (or its command lost), so it is refused. Absent and null are fine.
    static func checkTypes(_ config: ImageConfig, image: String) throws {
        guard let runtimeValue = config.json["config"], !runtimeValue.isNull else { return }
        guard let runtime = runtimeValue.objectValue else {
            throw PatchError.malformedConfig(image: image, field: "config", reason: "is \(runtimeValue.kindDescription), not an object")
        }
        for field in ["Entrypoint", "Cmd", "Env"] {
            guard let value = runtime[field], !value.isNull else { continue }
            guard let array = value.arrayValue else {
                throw PatchError.malformedConfig(image: image, field: field, reason: "is \(value.kindDescription), not an array of strings")
            }
            if let i = array.firstIndex(where: { $0.stringValue == nil }) {
                throw PatchError.malformedConfig(
                    image: image, field: field,
                    reason: "holds \(array[i].kindDescription) at index \(i), not only strings")
            }
        }
        if let labels = runtime["Labels"], !labels.isNull, labels.objectValue == nil {
            throw PatchError.malformedConfig(image: image, field: "Labels", reason: "is \(labels.kindDescription), not an object")
        }
    }

    static let topLayerReason =
        "its top layer is not the earlier agent layer (layers were added after patching); rebuild it from the unpatched image"

    func rewrite(_ original: ImageConfig, image: String) throws -> Result {
        try Self.check(original, repatch: settings.repatch, image: image)
        var config = original
        var runtime = config.runtime
        var dropped = false
        if original.label(PatchLabels.agent) != nil {
            try undoPreviousPatch(&config, &runtime, image: image)
            dropped = true
        }

        let entrypoint = Self.strings(runtime["Entrypoint"])
        let cmd = Self.strings(runtime["Cmd"])
        guard !(entrypoint ?? []).isEmpty || !(cmd ?? []).isEmpty else { throw PatchError.noEntrypoint(image: image) }
        runtime[PatchKey.entrypoint] = .array((launcher + (entrypoint ?? [])).map(JSONValue.string))

        runtime["Env"] = .array(Self.settingEnv(Self.strings(runtime["Env"]) ?? [], settings.env).map(JSONValue.string))

        var labels = runtime["Labels"]?.objectValue ?? JSONObject()
        for (key, value) in settings.labels { labels[key] = .string(value) }
        labels[PatchLabels.agent] = .string(agentReference)
        labels[PatchLabels.agentDigest] = .string(agentDigest.description)
        labels[PatchLabels.preset] = .string(settings.preset.rawValue)
        labels[PatchLabels.agentLayer] = .string(layer.diffID.description)
        labels[PatchLabels.agentLayerKey] = .string(layerKey.hex)
        labels[PatchLabels.agentLayerDigest] = .string(layer.digest.description)
        labels[PatchLabels.agentLayerSize] = .string(String(layer.size))
        labels[PatchLabels.launcher] = .string(Self.jsonText(launcher))
        labels[PatchLabels.originalEntrypoint] = .string(entrypoint.map(Self.jsonText) ?? "null")
        runtime["Labels"] = .object(labels)
        config.json["config"] = .object(runtime)

        let timestamp = Timestamp.rfc3339(created)
        config.json["created"] = .string(timestamp)
        if var history = config.json["history"]?.arrayValue {
            var entry = JSONObject()
            entry["created"] = .string(timestamp)
            entry["created_by"] = .string(
                "imagepatch: \(settings.preset.rawValue) agent from \(agentReference) in \(settings.installDirectory)")
            entry["comment"] = .string("imagepatch")
            history.append(.object(entry))
            config.json["history"] = .array(history)
        }
        var rootfs = config.json["rootfs"]?.objectValue ?? JSONObject([("type", .string("layers"))])
        var diffIDs = rootfs["diff_ids"]?.arrayValue ?? []
        diffIDs.append(.string(layer.diffID.description))
        rootfs["diff_ids"] = .array(diffIDs)
        config.json["rootfs"] = .object(rootfs)
        return Result(config: config, droppedPreviousAgentLayer: dropped)
    }

    /// `--repatch` (`check` made sure the earlier agent layer is the top one).
    private func undoPreviousPatch(_ config: inout ImageConfig, _ runtime: inout JSONObject, image: String) throws {
        var diffIDs = config.json["rootfs"]?["diff_ids"]?.arrayValue ?? []
        guard let originalText = config.label(PatchLabels.originalEntrypoint),
            let original = try? JSONValue(parsing: Array(originalText.utf8))
        else {
            throw PatchError.cannotRepatch(image: image, reason: "its \(PatchLabels.originalEntrypoint) label is missing or malformed")
        }
        diffIDs.removeLast()
        var rootfs = config.json["rootfs"]?.objectValue ?? JSONObject()
        rootfs["diff_ids"] = .array(diffIDs)
        config.json["rootfs"] = .object(rootfs)
        if var history = config.json["history"]?.arrayValue,
            let last = history.lastIndex(where: { $0["empty_layer"]?.boolValue != true }),
            history[last]["comment"]?.stringValue == "imagepatch"
        {
            history.remove(at: last)
            config.json["history"] = .array(history)
        }
        runtime[PatchKey.entrypoint] = original.isNull ? nil : original
        if var labels = runtime["Labels"]?.objectValue {
            for key in labels.keys where key.hasPrefix(PatchLabels.prefix) { labels.removeValue(forKey: key) }
            runtime["Labels"] = .object(labels)
        }
    }

    /// `env` with each of `settings` set: the first entry of that name takes the new value in
    /// place and every other entry of the name is removed (the runtime would use one of them, and
    /// which one is not agreed on), or the entry is appended.
    static func settingEnv(_ env: [String], _ settings: [(String, String)]) -> [String] {
        var env = env
        for (key, value) in settings {
            let entry = "\(key)=\(value)"
            let isKey: (String) -> Bool = { $0 == key || $0.hasPrefix(key + "=") }
            guard let first = env.firstIndex(where: isKey) else {
                env.append(entry)
                continue
            }
            env[first] = entry
            env = env.enumerated().filter { $0.offset <= first || !isKey($0.element) }.map(\.element)
        }
        return env
    }

    static func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.compactMap(\.stringValue) }

    static func jsonText(_ strings: [String]) -> String {
        String(decoding: JSONValue.array(strings.map(JSONValue.string)).serialized(), as: UTF8.self)
    }
}

enum PatchKey {
    static let entrypoint = "Entrypoint"
}
