import ImagePatch
import JSON
import OCI

/// The agents the in-memory engine tests patch with: each one's image layout, the `PatchOptions`
/// that select it, and what a patched config must then hold.
///
/// This is the ONE place that builds `PatchOptions` and names presets: when presets become values
/// (issue 10), only this file changes.
public struct TestAgent: Sendable, CustomStringConvertible {
    public let preset: AgentPreset
    /// Where the agent's files are in the application image.
    public let installDirectory: String
    /// The agent's files (relative paths) that must be in the agent layer, below `installDirectory`.
    public let expectedPaths: [String]
    /// Paths of the agent image that the layer must leave out.
    public let excludedPaths: [String]
    /// The environment the preset itself sets, in order, before the options' `env`.
    public let presetEnv: [(String, String)]
    let launcherOption: [String]?
    let installOption: String?
    let layout: @Sendable (Platform) -> [[TestFile]]
    let expectedLauncher: [String]

    /// The preset's name, as the patched config's label records it.
    public var description: String { preset.rawValue }

    /// The launcher a patched config starts with.
    public func launcher(for platform: Platform) -> [String] { expectedLauncher }

    /// The options of a run with this agent. Everything not given is the command line's default.
    public func options(
        repatch: Bool = false, dryRun: Bool = false, jobs: Int = 4, platforms: [Platform] = [],
        env: [(String, String)] = [], labels: [(String, String)] = [],
        sourceDateEpoch: Int64? = nil
    ) -> PatchOptions {
        var options = PatchOptions()
        options.preset = preset
        options.installDirectory = installOption
        options.launcher = launcherOption
        if preset == .falcon { options.agentSettings["cid"] = TestAgent.falconCID }
        options.repatch = repatch
        options.dryRun = dryRun
        options.jobs = jobs
        options.platforms = platforms
        options.env = env
        options.labels = labels
        options.sourceDateEpoch = sourceDateEpoch
        return options
    }

    /// The agent image: the preset's layout for each platform, in two layers.
    public func image(family: MediaTypeFamily, platforms: [Platform], asIndex: Bool) throws -> TestImage {
        try TestImage.make(
            family: family, platforms: platforms, asIndex: asIndex, created: "2024-04-01T00:00:00Z",
            layers: layout, runtime: { _ in JSONObject([("Entrypoint", .array([.string("/agent")]))]) })
    }

    static let falconCID = "0123456789ABCDEF0123456789ABCDEF-12"

    /// Lacework's datacollector: everything under its agent root, started by its sidecar script.
    public static let lacework = TestAgent(
        preset: .lacework, installDirectory: "/var/lib/lacework-backup",
        expectedPaths: ["lacework-sidecar.sh", "datacollector"], excludedPaths: ["etc/os-release"], presetEnv: [],
        launcherOption: nil, installOption: nil,
        layout: { platform in
            [
                [
                    .file("etc/os-release", "ID=agent-base\n"), .directory("var"), .directory("var/lib"),
                    .directory("var/lib/lacework-backup"),
                ],
                [
                    .file("var/lib/lacework-backup/lacework-sidecar.sh", "#!/bin/sh\nexec \"$@\"\n", mode: 0o755),
                    .file("var/lib/lacework-backup/datacollector", "collector for \(platform)\n", mode: 0o755),
                ],
            ]
        },
        expectedLauncher: ["/var/lib/lacework-backup/lacework-sidecar.sh"])

    /// Any agent: the whole agent image into --install-dir, started by --launcher.
    public static let none = TestAgent(
        preset: .custom, installDirectory: "/opt/agent", expectedPaths: ["bin/agent-start", "lib/libagent.so"],
        excludedPaths: [], presetEnv: [],
        launcherOption: ["/opt/agent/bin/agent-start", "--"], installOption: "/opt/agent",
        layout: { platform in
            [
                [.directory("bin"), .file("bin/agent-start", "#!/bin/sh\nexec \"$@\"\n", mode: 0o755)],
                [.directory("lib"), .file("lib/libagent.so", "agent library for \(platform)\n")],
            ]
        },
        expectedLauncher: ["/opt/agent/bin/agent-start", "--"])

    /// Falcon: the included paths of the sensor image, its launcher found in the layer.
    public static let falcon = TestAgent(
        preset: .falcon, installDirectory: "/opt/CrowdStrike/rootfs",
        expectedPaths: ["bin/falcon-entrypoint", "etc/falcon.conf", "entrypoint-ecs.sh"], excludedPaths: ["opt/notes"],
        presetEnv: [
            ("FALCONCTL_OPTS", "--cid=\(falconCID)"), ("CS_CLOUD_SERVICE", "ECS_FARGATE"),
            ("__CS_FALCON_SENSOR_ROOT", "/opt/CrowdStrike/rootfs"),
        ],
        launcherOption: nil, installOption: nil,
        layout: { platform in
            [
                [
                    .directory("bin"), .directory("etc"), .file("etc/falcon.conf", "platform=\(platform)\n"),
                    .directory("opt"), .file("opt/notes", "not included\n"),
                ],
                [.file("bin/falcon-entrypoint", "#!/bin/sh\n", mode: 0o755), .file("entrypoint-ecs.sh", "#!/bin/sh\n", mode: 0o755)],
            ]
        },
        expectedLauncher: ["/opt/CrowdStrike/rootfs/bin/falcon-entrypoint"])

    public static let all = [lacework, none, falcon]
}
