/// `--preset none`: any agent, described entirely by flags. Nothing is assumed about its layout, so
/// `--install-dir` and `--launcher` are required and there is no sidecar form. It gets SYS_PTRACE,
/// as the ptrace-based sensors this tool targets require it.
public struct Custom: AgentDefinition {
    public init() {}

    public var name: String { "none" }

    public var paths: AgentPaths { AgentPaths(installDirectory: nil, agentRoot: "/", includes: nil) }

    public var modes: AgentModePolicy { .asBuilt }

    public var launcher: AgentLauncherStrategy { .givenByUser }

    public var settings: [AgentSetting] { [] }

    public func imageEnvironment(_ values: AgentSettingValues, installDirectory: String) throws -> [(String, String)] { [] }

    public func taskEnvironment(_ values: AgentSettingValues, use: AgentSettingUse) throws -> AgentTaskEnvironment {
        AgentTaskEnvironment()
    }

    public var sidecar: AgentSidecarForm {
        .unavailable(reason: "has no sidecar form (no known agent layout); use --mode embedded with images patched by `imagepatch patch`")
    }

    public var linuxCapabilities: [String] { ["SYS_PTRACE"] }
}

extension AgentPreset {
    /// Spelled `none` on the command line; not `.none`, which an optional would take for nil.
    public static let custom = AgentPreset(Custom())
}
