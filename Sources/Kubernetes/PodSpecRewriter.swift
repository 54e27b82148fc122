import ImagePatch
import JSON
import OCI
import TaskDefinition

/// The pod form of `taskdef`'s sidecar mode: the same `SidecarAgent` (preset, environment, launcher
/// per architecture, Entrypoint/Cmd from the registry), mapped onto a pod spec. ECS `entryPoint` is a
/// pod's `command`, ECS `command` its `args`. Every edit replaces an entry of the same identity in
/// place or appends, so injecting injected output changes nothing.
struct PodSpecRewriter: Sendable {
    let agent: SidecarAgent
    let volumeName: String
    let mountPath: String

    init(agent: SidecarAgent) throws {
        guard let volume = agent.sidecar.volumeName, let path = agent.sidecar.mountPath else {
            throw KubernetesError.noPodVolume(preset: agent.options.preset.rawValue)
        }
        self.agent = agent
        volumeName = volume
        mountPath = path
    }

    static let archLabel = "kubernetes.io/arch"
    static let osLabel = "kubernetes.io/os"

    func rewrite(_ input: JSONObject, object: String, resolver: CachingResolver, notices: inout [String]) async throws -> JSONObject {
        var spec = input
        let platform = try Self.platform(of: spec, object: object)
        let launcher = try agent.launcher(for: platform)
        let name = agent.sidecar.containerName

        var containers = try objects(spec, "containers", object: object)
        var initContainers = try objects(spec, "initContainers", object: object)
        if containers.contains(where: { $0["name"]?.stringValue == name }) {
            throw KubernetesError.foreignInitContainer(object: object, name: name, reason: "it is an application container")
        }
        let initIndex = initContainers.firstIndex { $0["name"]?.stringValue == name }
        if let initIndex, let copy = agent.sidecar.copyCommand {
            let command = initContainers[initIndex]["command"]?.arrayValue?.compactMap(\.stringValue)
            guard command == copy else {
                throw KubernetesError.foreignInitContainer(object: object, name: name, reason: "its command is not the agent copy command")
            }
        }

        for i in containers.indices {
            var container = PodContainer(container: containers[i], object: object)
            try await patchApplication(
                &container, launcher: launcher, platform: platform, resolver: resolver, notices: &notices)
            containers[i] = container.container
        }
        let ours = try initContainer(updating: initIndex.map { initContainers[$0] }, object: object)
        if let initIndex { initContainers[initIndex] = ours } else { initContainers.append(ours) }

        spec["initContainers"] = .array(initContainers.map(JSONValue.object))
        spec["containers"] = .array(containers.map(JSONValue.object))
        var volumes = try objects(spec, "volumes", object: object)
        if !volumes.contains(where: { $0["name"]?.stringValue == volumeName }) {
            volumes.append(JSONObject([("name", .string(volumeName)), ("emptyDir", .object(JSONObject()))]))
        }
        spec["volumes"] = .array(volumes.map(JSONValue.object))
        return spec
    }

    private func patchApplication(
        _ container: inout PodContainer, launcher: [String], platform: Platform, resolver: CachingResolver,
        notices: inout [String]
    ) async throws {
        try container.mount(volume: volumeName, at: mountPath)
        for (key, value) in agent.environment { try container.setEnvironment(key, value) }
        for capability in agent.capabilities { try container.addCapability(capability) }
        if let command = try container.strings("command") {
            container.setStrings("command", agent.wrap(command, with: launcher))
            return
        }
        // Kubernetes would run the image's Entrypoint (and its Cmd when there are no args): setting
        // command drops the image's Cmd, so both are written out.
        let name = container.name
        let resolved: (program: [String], args: [String]?, detail: String)
        do {
            resolved = try await agent.imageCommand(
                image: container.image, args: try container.strings("args"), container: name, launcher: launcher,
                platform: platform, resolver: resolver, programField: "command", notices: &notices)
        } catch let error as TaskDefinitionError {
            throw KubernetesError.inObject(object: container.object, reason: error.description)
        }
        container.setStrings("command", resolved.program)
        if let args = resolved.args { container.setStrings("args", args) }
        notices.append(
            "\(container.object): container \(name.debugDescription) had no command: wrote its image's \(resolved.detail) (\(container.image ?? ""), \(platform)) explicitly"
        )
    }

    /// Ours: created, or updated in place so what the user added (resources, …) survives.
    private func initContainer(updating existing: JSONObject?, object: String) throws -> JSONObject {
        var container = existing ?? JSONObject([("name", .string(agent.sidecar.containerName))])
        container["image"] = .string(agent.agentImage)
        if let copy = agent.sidecar.copyCommand { container["command"] = .array(copy.map(JSONValue.string)) }
        if let user = agent.sidecar.initUser {
            // "UID:GID", as ECS takes it; the copy needs root to read the agent tree.
            var security = container["securityContext"]?.objectValue ?? JSONObject()
            let parts = user.split(separator: ":").compactMap { Int($0) }
            if let uid = parts.first { security["runAsUser"] = .integer(uid) }
            if parts.count > 1 { security["runAsGroup"] = .integer(parts[1]) }
            container["securityContext"] = .object(security)
        }
        var editor = PodContainer(container: container, object: object)
        try editor.mount(volume: volumeName, at: mountPath)
        return editor.container
    }

    private func objects(_ spec: JSONObject, _ key: String, object: String) throws -> [JSONObject] {
        guard let value = spec[key], !value.isNull else { return [] }
        guard let array = value.arrayValue, array.allSatisfy({ $0.objectValue != nil }) else {
            throw KubernetesError.badField(object: object, field: "spec.\(key)", reason: "is not a list of objects")
        }
        return array.compactMap(\.objectValue)
    }

    /// The pod's architecture, from `nodeSelector` or required node affinity on `kubernetes.io/arch`;
    /// amd64 when neither says. It picks the launcher's loader and which image of a multi-arch image to read.
    static func platform(of spec: JSONObject, object: String) throws -> Platform {
        var architectures: [String] = []
        if let os = spec["nodeSelector"]?[osLabel]?.stringValue, os != "linux" {
            throw KubernetesError.unsupportedOperatingSystem(object: object, os)
        }
        if let arch = spec["nodeSelector"]?[archLabel]?.stringValue { architectures.append(arch) }
        let terms =
            spec["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]?.arrayValue ?? []
        for term in terms {
            for expression in term["matchExpressions"]?.arrayValue ?? []
            where expression["key"]?.stringValue == archLabel && expression["operator"]?.stringValue == "In" {
                architectures += (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            }
        }
        var unique: [String] = []
        for arch in architectures where !unique.contains(arch) { unique.append(arch) }
        guard unique.count <= 1 else {
            throw KubernetesError.badField(
                object: object, field: "the pod's \(archLabel)",
                reason: "allows \(unique.joined(separator: " and ")): the agent's launcher differs per architecture, so pin one")
        }
        switch unique.first ?? "amd64" {
        case "amd64": return Platform(os: "linux", architecture: "amd64")
        case "arm64": return Platform(os: "linux", architecture: "arm64", variant: "v8")
        case let other: throw KubernetesError.unsupportedArchitecture(object: object, other)
        }
    }
}

/// Edits of one pod container.
struct PodContainer {
    var container: JSONObject
    let object: String

    var name: String { container["name"]?.stringValue ?? "" }
    var image: String? { container["image"]?.stringValue }

    /// `command`/`args` as strings; absent, null or empty is nil (the image's then).
    func strings(_ key: String) throws -> [String]? {
        guard let value = container[key], !value.isNull else { return nil }
        guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
            throw field(key, "is not a list of strings")
        }
        return array.isEmpty ? nil : array.compactMap(\.stringValue)
    }

    mutating func setStrings(_ key: String, _ values: [String]) {
        container[key] = .array(values.map(JSONValue.string))
    }

    /// `env` gets NAME=value: the first entry of that name is replaced in place (a `valueFrom` goes),
    /// later ones are removed.
    mutating func setEnvironment(_ name: String, _ value: String) throws {
        var entries = try objects("env")
        let entry = JSONObject([("name", .string(name)), ("value", .string(value))])
        if let i = entries.firstIndex(where: { $0["name"]?.stringValue == name }) {
            entries[i] = entry
            entries = entries.enumerated().filter { $0.offset <= i || $0.element["name"]?.stringValue != name }.map(\.element)
        } else {
            entries.append(entry)
        }
        container["env"] = .array(entries.map(JSONValue.object))
    }

    /// `securityContext.capabilities.add` gets the capability once.
    mutating func addCapability(_ capability: String) throws {
        var security = container["securityContext"]?.objectValue ?? JSONObject()
        var capabilities = security["capabilities"]?.objectValue ?? JSONObject()
        var add: [JSONValue] = []
        if let value = capabilities["add"], !value.isNull {
            guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
                throw field("securityContext.capabilities.add", "is not a list of strings")
            }
            add = array
        }
        if add.contains(.string(capability)) { return }
        add.append(.string(capability))
        capabilities["add"] = .array(add)
        security["capabilities"] = .object(capabilities)
        container["securityContext"] = .object(security)
    }

    /// `volumeMounts` gets the volume at `path`; an older mount of the same volume is replaced.
    mutating func mount(volume: String, at path: String) throws {
        var mounts = try objects("volumeMounts")
        if let other = mounts.first(where: { $0["mountPath"]?.stringValue == path && $0["name"]?.stringValue != volume }) {
            throw field(
                "volumeMounts",
                "already mounts volume \((other["name"]?.stringValue ?? "").debugDescription) at \(path), where the agent's volume goes")
        }
        let entry = JSONObject([("name", .string(volume)), ("mountPath", .string(path))])
        if let i = mounts.firstIndex(where: { $0["name"]?.stringValue == volume }) {
            mounts[i] = entry
        } else {
            mounts.append(entry)
        }
        container["volumeMounts"] = .array(mounts.map(JSONValue.object))
    }

    private func objects(_ key: String) throws -> [JSONObject] {
        guard let value = container[key], !value.isNull else { return [] }
        guard let array = value.arrayValue, array.allSatisfy({ $0.objectValue != nil }) else {
            throw field(key, "is not a list of objects")
        }
        return array.compactMap(\.objectValue)
    }

    private func field(_ key: String, _ reason: String) -> KubernetesError {
        .badField(object: object, field: "container \(name.debugDescription)'s \(key)", reason: reason)
    }
}
