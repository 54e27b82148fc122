/// Where an agent setting is used: patching an image, or one of `taskdef`'s modes.
public enum AgentSettingUse: Sendable, Hashable, CaseIterable {
    case image, taskSidecar, taskEmbedded
}

/// One setting an agent takes, as its definition declares it.
public struct AgentSetting: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// A command-line flag, by its long name without dashes (`cid`): also the key in
        /// `PatchOptions.agentSettings` and in a fleet file's options.
        case flag(String)
        /// An environment variable the agent reads, given with `--env NAME=VALUE` and checked.
        case environment(String)
        /// A secret the agent reads from its environment: never taken by imagepatch, since an image
        /// config or a task definition's `environment` would show it to everyone who can read them.
        /// It must come at deploy time (ECS `secrets`, a Cloud Run or Container Apps secret).
        case secret(String)
    }

    public let source: Source
    /// What the setting is, completing "… is required with the NAME preset (MEANING)".
    public let meaning: String
    /// Where the setting must be given.
    public let requiredIn: Set<AgentSettingUse>

    public init(_ source: Source, meaning: String, requiredIn: Set<AgentSettingUse> = []) {
        self.source = source
        self.meaning = meaning
        self.requiredIn = requiredIn
    }

    /// How the user spells it: `--cid`, or the environment variable's name.
    public var option: String {
        switch source {
        case .flag(let name): "--" + name
        case .environment(let name), .secret(let name): name
        }
    }

    public var flagName: String? {
        if case .flag(let name) = source { return name }
        return nil
    }
}

/// The agent settings given on a command line: flag values by long name, and `--env` in order.
public struct AgentSettingValues: Sendable {
    public var flags: [String: String]
    public var environment: [(String, String)]

    public init(flags: [String: String] = [:], environment: [(String, String)] = []) {
        self.flags = flags
        self.environment = environment
    }

    /// The setting's value: its flag's, or the last `--env` entry of its name.
    public func value(_ setting: AgentSetting) -> String? {
        switch setting.source {
        case .flag(let name): flags[name]
        case .environment(let name), .secret(let name): environment.last { $0.0 == name }?.1
        }
    }

    /// The setting's value, or the error saying the preset needs it.
    public func required(_ setting: AgentSetting, by preset: String) throws -> String {
        guard let value = value(setting) else {
            throw PatchError.invalidOption(setting.option, "is required with the \(preset) preset (\(setting.meaning))")
        }
        return value
    }
}

extension AgentPreset {
    /// The checks every agent gets, from what its definition declares, before its own:
    /// - with `taskdef`, a setting flag of another preset is refused ("--cid is only for the falcon
    ///   preset"); `imagepatch patch` ignores one, as a fleet file may set it for other entries;
    /// - a secret given with `--env` is refused, naming only the variable;
    /// - a required setting must be given.
    public func checkSettings(_ values: AgentSettingValues, for use: AgentSettingUse) throws {
        let declared = definition.settings
        if use != .image {
            for setting in AgentRegistry.flagSettings
            where values.flags[setting.name] != nil
                && !declared.contains(where: { $0.flagName == setting.name })
            {
                throw PatchError.invalidOption("--" + setting.name, "is only for the \(AgentRegistry.list(setting.presets)) preset")
            }
        }
        for setting in declared {
            if case .secret(let variable) = setting.source, values.environment.contains(where: { $0.0 == variable }) {
                throw PatchError.invalidOption(
                    "--env \(variable)",
                    "is a secret (\(setting.meaning)) and would be readable by everyone who can read the \(use == .image ? "image's config" : "task definition"); give it at deploy time instead (ECS task secrets, a Cloud Run or Container Apps secret)"
                )
            }
        }
        for setting in declared where setting.requiredIn.contains(use) {
            _ = try values.required(setting, by: rawValue)
        }
    }
}
