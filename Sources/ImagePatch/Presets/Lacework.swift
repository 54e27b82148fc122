/// The Lacework agent as its datacollector sidecar image lays it out: everything under
/// `/var/lib/lacework-backup`, started by `lacework-sidecar.sh`, configured by `--env` (e.g.
/// `LaceworkAccessToken`). It does not trace the application, so it needs no extra capability.
public struct Lacework: AgentDefinition {
    public init() {}

    public var name: String { "lacework" }

    public var paths: AgentPaths {
        AgentPaths(installDirectory: Self.directory, agentRoot: Self.directory, includes: nil)
    }

    public var modes: AgentModePolicy { .asBuilt }

    /// Absolute, not under `--install-dir`: the script's path is what the sidecar image's volume holds.
    public var launcher: AgentLauncherStrategy { .fixed([Self.directory + "/lacework-sidecar.sh"]) }

    public var settings: [AgentSetting] { [] }

    public func imageEnvironment(_ values: AgentSettingValues, installDirectory: String) throws -> [(String, String)] { [] }

    public func taskEnvironment(_ values: AgentSettingValues, use: AgentSettingUse) throws -> AgentTaskEnvironment {
        AgentTaskEnvironment()
    }

    /// The datacollector sidecar image declares its agent directory as a VOLUME and exits 0 once it
    /// has filled it; application containers take that volume with `volumesFrom`.
    public var sidecar: AgentSidecarForm {
        .available(
            SidecarPreset(
                containerName: "datacollector-sidecar", volumeName: nil, mountPath: nil,
                installDirectory: Self.directory, copyCommand: nil, initUser: nil,
                dependencyCondition: "SUCCESS", launcher: launcher))
    }

    public var linuxCapabilities: [String] { [] }

    static let directory = "/var/lib/lacework-backup"
}

extension AgentPreset {
    public static let lacework = AgentPreset(Lacework())
}
