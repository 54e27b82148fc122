import ImagePatch
import JSON
import OCI

/// What `taskdef --mode sidecar` was asked to do.
public struct SidecarOptions: Sendable {
    public var preset: AgentPreset = .falcon
    /// The image the init container runs (the agent's image, e.g. the Falcon container sensor).
    public var agentImage: String?
    /// The agent's setting flags by long name (`cid`, `falconctl-opts`), as the preset declares them.
    public var agentSettings: [String: String] = [:]
    /// A Secrets Manager ARN for pulling the agent image from a private registry.
    public var secretArn: String?
    /// More environment for every patched application container.
    public var env: [(String, String)] = []

    public init() {}
}

/// The task definition after patching, and what was done that the user should hear about.
public struct TaskPatchResult: Sendable {
    public var document: TaskDefinitionDocument
    public var notices: [String]
}

/// The init-container pattern: a non-essential container delivers the agent (falcon: copies it into
/// a task volume; lacework: exposes its own volume), and every application container waits for it,
/// then starts through the agent's launcher. No image is rebuilt.
public struct SidecarPatcher: Sendable {
    let agent: SidecarAgent
    let resolver: any ImageCommandResolver
    var options: SidecarOptions { agent.options }
    var sidecar: SidecarPreset { agent.sidecar }
    var agentImage: String { agent.agentImage }

    public init(options: SidecarOptions, resolver: any ImageCommandResolver) throws {
        agent = try SidecarAgent(options: options)
        self.resolver = resolver
    }

    public func patch(_ input: TaskDefinitionDocument) async throws -> TaskPatchResult {
        var document = input
        var notices = input.notices
        let platform = try TaskPlatform.of(document.object)
        let launcher = try sidecar.launcher(for: platform)
        let resolver = CachingResolver(resolver)
        var containers = document.containers

        let sidecarIndex = containers.firstIndex { $0["name"]?.stringValue == sidecar.containerName }
        if let sidecarIndex { try checkOurs(containers[sidecarIndex]) }

        var patched: [String] = []
        for i in containers.indices where i != sidecarIndex {
            var editor = ContainerEditor(container: containers[i])
            if editor.isOptedOut {
                notices.append("skipping container \(editor.name.debugDescription): it is labelled \(ContainerEditor.optOutLabel)=disabled")
                continue
            }
            try await patchApplication(&editor, launcher: launcher, platform: platform, resolver: resolver, notices: &notices)
            containers[i] = editor.container
            patched.append(editor.name)
        }
        guard !patched.isEmpty else {
            throw TaskDefinitionError.nothingToPatch("every container is opted out with \(ContainerEditor.optOutLabel)=disabled")
        }

        // The init container keeps its place on a second run, so the output does not change.
        let taskMemory = document.object["memory"].map { !$0.isNull } ?? false
        if let sidecarIndex {
            containers[sidecarIndex] = try initContainer(updating: containers[sidecarIndex], taskMemory: taskMemory, notices: &notices)
        } else {
            containers.append(try initContainer(updating: nil, taskMemory: taskMemory, notices: &notices))
        }
        document.setContainers(containers)
        if let volume = sidecar.volumeName { try addVolume(volume, to: &document) }
        notices.append(
            "\(options.preset.rawValue) sidecar \(sidecar.containerName) (\(agentImage)) added for \(platform): patched \(patched.map(\.debugDescription).joined(separator: ", "))"
        )
        return TaskPatchResult(document: document, notices: notices)
    }

    /// A container with the sidecar's name is ours only if it does what ours does; anything else is
    /// the user's, and silently rewriting it would break their task.
    private func checkOurs(_ container: JSONObject) throws {
        if let copy = sidecar.copyCommand {
            let entryPoint = container["entryPoint"]?.arrayValue?.compactMap(\.stringValue)
            guard entryPoint == copy else {
                throw TaskDefinitionError.foreignSidecarContainer(
                    name: sidecar.containerName, reason: "its entryPoint is not the agent copy command")
            }
        } else if container["essential"]?.boolValue != false {
            throw TaskDefinitionError.foreignSidecarContainer(
                name: sidecar.containerName, reason: "it is essential, so it is not an agent sidecar")
        }
    }

    private func patchApplication(
        _ editor: inout ContainerEditor, launcher: [String], platform: Platform,
        resolver: CachingResolver, notices: inout [String]
    ) async throws {
        let name = editor.name
        if let volume = sidecar.volumeName, let path = sidecar.mountPath {
            try editor.mount(volume: volume, at: path)
        } else {
            try editor.takeVolumes(from: sidecar.containerName)
        }
        try editor.depend(on: sidecar.containerName, condition: sidecar.dependencyCondition)
        for (key, value) in agent.environment { try editor.setEnvironment(key, value) }
        for capability in agent.capabilities { try editor.addCapability(capability) }

        if let entryPoint = try editor.strings("entryPoint") {
            editor.setStrings("entryPoint", agent.wrap(entryPoint, with: launcher))
            return
        }
        // ECS would run the image's Entrypoint (and its Cmd when the task gives no command). Setting
        // entryPoint in the task drops the image's Cmd, so both are written out explicitly: the
        // launcher then wraps exactly what the image would have run.
        let command = try editor.strings("command")
        let resolved = try await agent.imageCommand(
            image: editor.image, args: command, container: name, launcher: launcher, platform: platform,
            resolver: resolver, notices: &notices)
        editor.setStrings("entryPoint", resolved.program)
        if let args = resolved.args { editor.setStrings("command", args) }
        notices.append(
            "container \(name.debugDescription) had no entryPoint: wrote its image's \(resolved.detail) (\(editor.image ?? ""), \(platform)) explicitly"
        )
    }

    /// Our init container: created, or (second run) updated in place so user additions such as a
    /// logConfiguration survive.
    private func initContainer(updating existing: JSONObject?, taskMemory: Bool, notices: inout [String]) throws -> JSONObject {
        var container = existing ?? JSONObject([("name", .string(sidecar.containerName))])
        container["image"] = .string(agentImage)
        container["essential"] = .bool(false)
        if existing == nil { container["cpu"] = .integer(0) }
        // Without a task-level memory (EC2 task definitions), ECS refuses a container that has neither
        // memory nor memoryReservation. A soft reservation satisfies it without capping the agent.
        if !taskMemory && container["memory"] == nil && container["memoryReservation"] == nil {
            container["memoryReservation"] = .integer(Self.initMemoryReservation)
            notices.append(
                "the task sets no memory, which ECS then requires of every container: gave \(sidecar.containerName) memoryReservation \(Self.initMemoryReservation) (MiB)"
            )
        }
        if let user = sidecar.initUser { container["user"] = .string(user) }
        if let copy = sidecar.copyCommand { container["entryPoint"] = .array(copy.map(JSONValue.string)) }
        if let volume = sidecar.volumeName, let path = sidecar.mountPath {
            var editor = ContainerEditor(container: container)
            try editor.mount(volume: volume, at: path)
            container = editor.container
        }
        if let secret = options.secretArn {
            container["repositoryCredentials"] = .object(JSONObject([("credentialsParameter", .string(secret))]))
        }
        return container
    }

    private func addVolume(_ name: String, to document: inout TaskDefinitionDocument) throws {
        var volumes = document.object["volumes"]?.arrayValue ?? []
        if !volumes.contains(where: { $0["name"]?.stringValue == name }) {
            volumes.append(.object(JSONObject([("name", .string(name))])))
        }
        document.object["volumes"] = .array(volumes)
    }

    /// MiB reserved (not a limit) for the init container when the task sets no memory: it only
    /// copies or exposes the agent's files, then exits.
    static let initMemoryReservation = 32

    static func text(_ strings: [String]?) -> String {
        guard let strings else { return "null" }
        return String(decoding: JSONValue.array(strings.map(JSONValue.string)).serialized(), as: UTF8.self)
    }
}
