import OCI

/// How an agent reaches an ECS task without a patched image: a non-essential container that starts
/// first and hands the agent to the application containers (`imagepatch taskdef --mode sidecar`).
/// Each agent that has one builds it in its own file, so names, paths and launchers are defined once.
///
/// The same fields are what a pod injector needs (an init container, an `emptyDir` volume mounted at
/// `mountPath` in it and in every application container, the copy command, the agent's
/// `linuxCapabilities`), except `volumesFrom`, which pods do not have.
public struct SidecarPreset: Sendable {
    /// The container that delivers the agent.
    public let containerName: String
    /// A task volume the init container fills; nil when the agent arrives by `volumesFrom`.
    public let volumeName: String?
    /// Where the volume is mounted, in the init container and in every application container.
    public let mountPath: String?
    /// Where the agent tree is once the sidecar has run, as the application containers see it.
    public let installDirectory: String
    /// The init container's own entryPoint (the copy into the volume), or nil to run its image as built.
    public let copyCommand: [String]?
    /// The init container's user: the copy needs root to read the agent tree and chmod it.
    public let initUser: String?
    /// The `dependsOn` condition: COMPLETE (exited, any status) or SUCCESS (exited 0).
    public let dependencyCondition: String
    /// The agent's launcher strategy, applied to `installDirectory`.
    let launcherStrategy: AgentLauncherStrategy

    public init(
        containerName: String, volumeName: String?, mountPath: String?, installDirectory: String,
        copyCommand: [String]?, initUser: String?, dependencyCondition: String, launcher: AgentLauncherStrategy
    ) {
        self.containerName = containerName
        self.volumeName = volumeName
        self.mountPath = mountPath
        self.installDirectory = installDirectory
        self.copyCommand = copyCommand
        self.initUser = initUser
        self.dependencyCondition = dependencyCondition
        launcherStrategy = launcher
    }

    /// The launcher for a task's architecture.
    public func launcher(for platform: Platform) throws -> [String] {
        try launcherStrategy.assumed(installDirectory: installDirectory, platform: platform) ?? []
    }

    /// Every launcher this preset may have written, whatever the architecture, so a second run can
    /// recognise (and not double) one written before, even for a task whose architecture changed.
    public var knownLaunchers: [[String]] {
        let platforms = [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "arm64")]
        return platforms.compactMap { try? launcher(for: $0) }
    }
}
