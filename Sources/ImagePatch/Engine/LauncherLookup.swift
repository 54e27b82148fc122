import OCI

/// The engine joins the checked settings with the agent layer it built: the preset's launcher
/// lookup sees the layer only as `AgentFiles`, so neither the plan nor the presets depend on how
/// layers are built.
extension AgentLayer: AgentFiles {}

extension ResolvedSettings {
    /// The launcher for one platform: given, or found in the agent layer that was built.
    public func launcher(for platform: Platform, layer: AgentLayer, agent: String) throws -> [String] {
        // Taken only when no other launcher was asked for (see PatchEngine.prepareAgents).
        if let recorded = layer.recordedLauncher { return recorded }
        return try launcher(for: platform, in: layer, agent: agent)
    }
}
