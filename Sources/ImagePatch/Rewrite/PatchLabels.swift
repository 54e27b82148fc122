/// The labels a patched config carries. `inspect` and already-patched detection read them back;
/// the original Entrypoint is kept so that `--repatch` can rebuild it without doubling the launcher.
public enum PatchLabels {
    public static let prefix = "io.imagepatch."
    public static let agent = prefix + "agent"
    public static let agentDigest = prefix + "agent.digest"
    public static let preset = prefix + "agent.preset"
    /// The agent layer's diff_id (the config's last one when nothing was added after patching).
    public static let agentLayer = prefix + "agent.layer"
    /// The `AgentLayerKey` the layer was built for, its digest and size: enough to find or mount the
    /// same layer again without building it.
    public static let agentLayerKey = prefix + "agent.layer.key"
    public static let agentLayerDigest = prefix + "agent.layer.digest"
    public static let agentLayerSize = prefix + "agent.layer.size"
    public static let launcher = prefix + "launcher"
    public static let originalEntrypoint = prefix + "original-entrypoint"
}
