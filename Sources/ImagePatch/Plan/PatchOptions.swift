import OCI

/// Everything the user asked for, before it is checked against the images.
public struct PatchOptions: Sendable {
    public var platforms: [Platform] = []
    public var preset: AgentPreset = .falcon
    public var installDirectory: String?
    public var agentRoot: String?
    public var includes: [String] = []
    public var launcher: [String]?
    public var env: [(String, String)] = []
    public var labels: [(String, String)] = []
    /// The agent's setting flags by long name (`cid`, `falconctl-opts`…), as the preset declares them
    /// (`AgentDefinition.settings`); flags of other presets are ignored.
    public var agentSettings: [String: String] = [:]
    public var repatch = false
    public var dryRun = false
    /// Blobs in flight at once.
    public var jobs = 4
    /// `SOURCE_DATE_EPOCH`: the time written in the config and on the agent's files; within
    /// `Timestamp.validSeconds`.
    public var sourceDateEpoch: Int64?
    /// `--max-agent-size`: the agent's files, uncompressed; a decompression bomb stops here.
    public var maxAgentBytes: Int64 = AgentTreeSettings.defaultMaxUncompressedBytes
    public var compression: LayerCompression = .gzip  // `--compression`: the agent layer's
    /// Signatures, SBOMs and provenance to publish beside the image (registry targets).
    public var attach = AttachOptions()
    /// Told of blob transfers and agent layer builds as they go (a progress display); nil counts nothing.
    public var progress: (any PatchProgressObserver)?

    public init() {}
}
