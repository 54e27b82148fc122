/// Every agent imagepatch knows, in the order help text lists them. The command line builds its
/// `--preset` help and errors from this list; adding an agent is its file plus one line here.
public enum AgentRegistry {
    public static let all: [any AgentDefinition] = [
        Falcon(),
        Lacework(),
        Custom(),
        Datadog(),
    ]

    /// The `--preset` names.
    public static var names: [String] { all.map(\.name) }

    /// "falcon, lacework, none or datadog".
    public static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    /// The error for a `--preset` that names no agent.
    public static func unknownPreset(_ name: String) -> PatchError {
        .invalidOption("--preset", "\(name.debugDescription) is not one of \(names.joined(separator: ", "))")
    }

    /// The names of the agents that have a sidecar form for ECS.
    public static var sidecarNames: [String] {
        all.filter { if case .available = $0.sidecar { true } else { false } }.map(\.name)
    }

    /// Every setting flag any agent declares, once, in registry order, with the agents declaring it.
    static var flagSettings: [(name: String, presets: [String])] {
        var result: [(name: String, presets: [String])] = []
        for agent in all {
            for name in agent.settings.compactMap(\.flagName) {
                if let i = result.firstIndex(where: { $0.name == name }) {
                    result[i].presets.append(agent.name)
                } else {
                    result.append((name, [agent.name]))
                }
            }
        }
        return result
    }

    /// Every setting flag any agent declares: the command line must have a flag for each.
    public static var settingFlags: [String] { flagSettings.map(\.name) }
}
