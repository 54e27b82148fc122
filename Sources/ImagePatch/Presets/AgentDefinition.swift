import OCI

/// Everything imagepatch knows about one agent: one value per agent, each in its own file in this
/// folder, listed once in `AgentRegistry.all`. The patch engine, `taskdef` and the command line read
/// agents only through this protocol, so adding an agent is one new file and one registry line.
///
/// Every requirement is a policy question with no default: a new agent must say how its files are
/// moved, started, configured and delivered, and which capabilities it needs, rather than silently
/// inherit another agent's answer.
public protocol AgentDefinition: Sendable {
    /// The `--preset` name, also written in the patched image's `io.imagepatch.agent.preset` label.
    var name: String { get }

    /// Where the agent lives in its image and where it goes in the application image.
    var paths: AgentPaths { get }

    /// How the agent's file modes are written into the agent layer.
    var modes: AgentModePolicy { get }

    /// How the command that starts the agent before the application is found.
    var launcher: AgentLauncherStrategy { get }

    /// The settings the agent takes, in the order they are checked. Each comes from a command-line
    /// flag, from `--env`, or (secrets) only from the deployment.
    var settings: [AgentSetting] { get }

    /// Checks the settings of `imagepatch patch` (the generic checks of `AgentPreset.checkSettings`
    /// have passed) and returns the environment they give the patched image. `--env` is applied after
    /// it and wins.
    func imageEnvironment(_ values: AgentSettingValues, installDirectory: String) throws -> [(String, String)]

    /// Checks the settings of `imagepatch taskdef` and returns the environment they give each
    /// application container. `use` is `.taskSidecar` or `.taskEmbedded`.
    func taskEnvironment(_ values: AgentSettingValues, use: AgentSettingUse) throws -> AgentTaskEnvironment

    /// How the agent reaches an ECS task without a patched image (`taskdef --mode sidecar`), or why
    /// it cannot.
    var sidecar: AgentSidecarForm { get }

    /// Linux capabilities every application container running the agent needs
    /// (`linuxParameters.capabilities.add` in a task definition; a pod's `securityContext`).
    var linuxCapabilities: [String] { get }
}

/// Where an agent's files are, before and after patching. Absolute paths.
public struct AgentPaths: Sendable, Equatable {
    /// Where the agent goes in the application image; nil: the user must give `--install-dir`.
    public var installDirectory: String?
    /// The directory of the agent image to take.
    public var agentRoot: String
    /// Top-level paths under the agent root to take, when they exist; nil takes the whole root.
    public var includes: [String]?

    public init(installDirectory: String?, agentRoot: String, includes: [String]?) {
        self.installDirectory = installDirectory
        self.agentRoot = agentRoot
        self.includes = includes
    }
}

/// How the agent's file modes are written into the agent layer.
public enum AgentModePolicy: Sendable, Equatable {
    /// As the agent image has them.
    case asBuilt
    /// `chmod -R a=rX`: readable by every user, directories and executables searchable, nothing
    /// writable but by root, whatever user the application runs as.
    case readableByAll

    var normalizesModes: Bool {
        switch self {
        case .asBuilt: false
        case .readableByAll: true
        }
    }
}

/// What an agent's settings give the application containers of a task definition.
public struct AgentTaskEnvironment: Sendable {
    public var environment: [(String, String)]
    /// Said once the containers are patched, e.g. that a setting left out is expected from the image.
    public var notice: String?

    public init(environment: [(String, String)] = [], notice: String? = nil) {
        self.environment = environment
        self.notice = notice
    }
}

/// How an agent reaches an ECS task without a patched image.
public enum AgentSidecarForm: Sendable {
    case available(SidecarPreset)
    /// The agent has none; the reason completes "--preset NAME …" in the error.
    case unavailable(reason: String)
}
