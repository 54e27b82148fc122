/// An agent as options and results hold it: one of `AgentRegistry.all`, known by its `--preset`
/// name. Two presets are the same when their names are.
public struct AgentPreset: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let definition: any AgentDefinition

    public init(_ definition: any AgentDefinition) { self.definition = definition }

    /// The registered agent of that name; nil for any other name.
    public init?(rawValue: String) {
        guard let definition = AgentRegistry.all.first(where: { $0.name == rawValue }) else { return nil }
        self.definition = definition
    }

    public var rawValue: String { definition.name }
    public var description: String { definition.name }

    public static func == (lhs: AgentPreset, rhs: AgentPreset) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// The sidecar form, or the error that says why there is none.
    public func sidecarPreset() throws -> SidecarPreset {
        switch definition.sidecar {
        case .available(let sidecar): return sidecar
        case .unavailable(let reason): throw PatchError.invalidOption("--preset \(rawValue)", reason)
        }
    }
}
