import ImagePatch
import JSON
import OCI

/// The orchestrator-independent half of the init-container pattern, shared by `taskdef --mode sidecar`
/// (ECS containers) and the Kubernetes pod injector: the checked options, the preset's sidecar form,
/// the environment every application container gets, the launcher per architecture, and what a
/// container that leaves its command to its image runs. The callers only map these onto their
/// container format (ECS `entryPoint`/`command`, a pod's `command`/`args`).
public struct SidecarAgent: Sendable {
    public let options: SidecarOptions
    public let sidecar: SidecarPreset
    /// The image the init container runs.
    public let agentImage: String
    /// The label that opts a container (ECS `dockerLabels`), a pod, a workload or a namespace out, as the
    /// Falcon sidecar injector honours it, with the value `disabled`.
    public static let optOutLabel = "sensor.falcon-system.crowdstrike.com/injection"

    /// What the agent's settings give each application container (before `options.env`).
    let agentEnvironment: [(String, String)]

    /// Checks the options as `taskdef --mode sidecar` does; `target` completes "is not a registry image … can pull".
    public init(options: SidecarOptions, target: String = "ECS") throws {
        let sidecar = try options.preset.sidecarPreset()
        guard let agentImage = options.agentImage, !agentImage.isEmpty else {
            throw TaskDefinitionError.invalidOption(
                "--agent-image", "is required with --mode sidecar (the image the \(sidecar.containerName) container runs)")
        }
        guard !ImageName.isLocalTransport(agentImage) else {
            throw TaskDefinitionError.invalidOption("--agent-image", "\(agentImage) is not a registry image \(target) can pull")
        }
        let values = AgentSettingValues(flags: options.agentSettings, environment: options.env)
        try options.preset.checkSettings(values, for: .taskSidecar)
        agentEnvironment = try options.preset.definition.taskEnvironment(values, use: .taskSidecar).environment
        self.options = options
        self.sidecar = sidecar
        self.agentImage = agentImage
    }

    /// The environment every application container gets, in order; a later entry of a name wins.
    public var environment: [(String, String)] { agentEnvironment + options.env }

    /// The Linux capabilities every application container needs.
    public var capabilities: [String] { options.preset.definition.linuxCapabilities }

    /// The launcher for an architecture.
    public func launcher(for platform: Platform) throws -> [String] { try sidecar.launcher(for: platform) }

    /// `launcher + command`, never doubling a launcher this preset wrote before (see `ContainerEditor.wrap`).
    public func wrap(_ command: [String], with launcher: [String]) -> [String] {
        ContainerEditor.wrap(command, with: launcher, known: sidecar.knownLaunchers)
    }

    /// What a container that leaves its program to the image runs, made explicit: the launcher
    /// followed by the image's Entrypoint, and the image's Cmd when the container gives no arguments
    /// (`args`: ECS `command`, a pod's `args`), because setting the program drops the image's Cmd.
    /// `programField` is the container's field for the program (ECS `entryPoint`, a pod's `command`), for
    /// errors; `detail` describes what was read, for the caller's notice.
    public func imageCommand(
        image: String?, args: [String]?, container name: String, launcher: [String], platform: Platform,
        resolver: CachingResolver, programField: String = "entryPoint", notices: inout [String]
    ) async throws -> (program: [String], args: [String]?, detail: String) {
        guard let image, !image.isEmpty else {
            throw TaskDefinitionError.badField(field: "image of container \(name.debugDescription)", reason: "is missing")
        }
        let resolved = try await resolver.resolve(
            image: image, platform: platform, container: name,
            purpose: "to find its Entrypoint and Cmd (the container has no \(programField))")
        if let invalid = resolved.invalidCommand {
            throw TaskDefinitionError.badImageConfig(container: name, image: image, field: invalid.field, reason: invalid.reason)
        }
        let imageEntrypoint = resolved.entrypoint ?? []
        if imageEntrypoint.isEmpty && args == nil && (resolved.cmd ?? []).isEmpty {
            throw TaskDefinitionError.nothingToRun(container: name, image: image)
        }
        if let agent = resolved.labels[PatchLabels.agent] {
            notices.append("container \(name.debugDescription): its image \(image) already embeds \(agent); the agent would start twice")
        }
        var detail = "Entrypoint \(SidecarPatcher.text(resolved.entrypoint))"
        var newArgs: [String]? = nil
        if args == nil, let cmd = resolved.cmd, !cmd.isEmpty {
            newArgs = cmd
            detail += " and Cmd \(SidecarPatcher.text(cmd))"
        }
        return (launcher + imageEntrypoint, newArgs, detail)
    }
}
