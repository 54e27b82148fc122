import ArgumentParser

/// The agent setting flags of the deploy-time commands (`taskdef`, `k8s inject`, `k8s install`),
/// also in the Falcon utilities' single-dash spellings (`-cid`, `-falconctl-opts`).
struct AgentSettingFlags: ParsableArguments {
    @Option(name: [.customLong("cid"), .customLong("cid", withSingleDash: true)], help: "Falcon customer ID.")
    var cid: String?

    // Unconditional: the value itself starts with dashes (`-falconctl-opts "--tags=web"`).
    @Option(
        name: [.customLong("falconctl-opts"), .customLong("falconctl-opts", withSingleDash: true)],
        parsing: .unconditional, help: "More falconctl options, appended to FALCONCTL_OPTS.")
    var falconctlOpts: String?

    /// Keyed by flag name, as the presets declare their settings (`AgentRegistry.settingFlags`).
    var values: [String: String] { ["cid": cid, "falconctl-opts": falconctlOpts].compactMapValues { $0 } }
}
