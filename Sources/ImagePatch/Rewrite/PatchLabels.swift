/// The labels a patched config carries. `inspect` and already-patched detection read them back;
/// the original Entrypoint is kept so that `--repatch` can rebuild it without doubling the launcher.
public enum PatchLabels {
    public static let prefix = "io.imagepatch."
    public static let agent = prefix + "agent"
    public static let agentDigest = prefix + "agent.digest"
    public static let preset = prefix + "agent.preset"
    public static let agentLayer = prefix + "agent.layer"
    public static let launcher = prefix + "launcher"
    public static let originalEntrypoint = prefix + "original-entrypoint"
}
