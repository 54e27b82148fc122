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
    let created: Int64

    struct Result {
        var config: ImageConfig
        /// True when an earlier agent layer (the top one) must be dropped from the manifest.
        var droppedPreviousAgentLayer: Bool
    }

    /// The checks that need no agent layer: a command to wrap, and not patched already (or
    /// patched with the agent layer still on top, for --repatch).
    static func check(_ config: ImageConfig, repatch: Bool, image: String) throws {
        if let agent = config.label(PatchLabels.agent) {
            guard repatch else { throw PatchError.alreadyPatched(image: image, agent: agent) }
            guard let layer = config.label(PatchLabels.agentLayer), config.diffIDs.last == layer else {
                throw PatchError.cannotRepatch(image: image, reason: topLayerReason)
            }
            return
        }
        guard !(config.entrypoint ?? []).isEmpty || !(config.cmd ?? []).isEmpty else { throw PatchError.noEntrypoint(image: image) }
    }

    static let topLayerReason = "its top layer is not the earlier agent layer (layers were added after patching); rebuild it from the unpatched image"

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

        var env = Self.strings(runtime["Env"]) ?? []
        for (key, value) in settings.env {
            let entry = "\(key)=\(value)"
            if let i = env.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) { env[i] = entry } else { env.append(entry) }
        }
        runtime["Env"] = .array(env.map(JSONValue.string))

        var labels = runtime["Labels"]?.objectValue ?? JSONObject()
        for (key, value) in settings.labels { labels[key] = .string(value) }
        labels[PatchLabels.agent] = .string(agentReference)
        labels[PatchLabels.agentDigest] = .string(agentDigest.description)
        labels[PatchLabels.preset] = .string(settings.preset.rawValue)
        labels[PatchLabels.agentLayer] = .string(layer.diffID.description)
        labels[PatchLabels.launcher] = .string(Self.jsonText(launcher))
        labels[PatchLabels.originalEntrypoint] = .string(entrypoint.map(Self.jsonText) ?? "null")
        runtime["Labels"] = .object(labels)
        config.json["config"] = .object(runtime)

        let timestamp = Timestamp.rfc3339(created)
        config.json["created"] = .string(timestamp)
        if var history = config.json["history"]?.arrayValue {
            var entry = JSONObject()
            entry["created"] = .string(timestamp)
            entry["created_by"] = .string("imagepatch: \(settings.preset.rawValue) agent from \(agentReference) in \(settings.installDirectory)")
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
              let original = try? JSONValue(parsing: Array(originalText.utf8)) else {
            throw PatchError.cannotRepatch(image: image, reason: "its \(PatchLabels.originalEntrypoint) label is missing or malformed")
        }
        diffIDs.removeLast()
        var rootfs = config.json["rootfs"]?.objectValue ?? JSONObject()
        rootfs["diff_ids"] = .array(diffIDs)
        config.json["rootfs"] = .object(rootfs)
        if var history = config.json["history"]?.arrayValue,
           let last = history.lastIndex(where: { $0["empty_layer"]?.boolValue != true }),
           history[last]["comment"]?.stringValue == "imagepatch" {
            history.remove(at: last)
            config.json["history"] = .array(history)
        }
        runtime[PatchKey.entrypoint] = original.isNull ? nil : original
        if var labels = runtime["Labels"]?.objectValue {
            for key in labels.keys where key.hasPrefix(PatchLabels.prefix) { labels.removeValue(forKey: key) }
            runtime["Labels"] = .object(labels)
        }
    }

    static func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.compactMap(\.stringValue) }

    static func jsonText(_ strings: [String]) -> String {
        String(decoding: JSONValue.array(strings.map(JSONValue.string)).serialized(), as: UTF8.self)
    }
}

enum PatchKey {
    static let entrypoint = "Entrypoint"
}
