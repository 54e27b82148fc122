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
    public var cid: String?
    public var falconctlOptions: String?
    public var cloudService: String?
    public var container: String?
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

    public init() {}
}

/// The options with the preset applied and checked: what the engine actually does.
public struct ResolvedSettings: Sendable {
    public let preset: AgentPreset
    public let tree: AgentTreeSettings
    /// Absolute install directory, as it appears in the application image.
    public let installDirectory: String
    public let explicitLauncher: [String]?
    public let env: [(String, String)]
    public let labels: [(String, String)]
    public let repatch: Bool
    public let created: Int64?
    public let compression: LayerCompression

    public init(_ options: PatchOptions) throws {
        preset = options.preset
        if let epoch = options.sourceDateEpoch, !Timestamp.validSeconds.contains(epoch) {
            throw PatchError.invalidOption("SOURCE_DATE_EPOCH", "\(epoch) is not a number of seconds from 0 to \(Timestamp.validSeconds.upperBound) (year 9999)")
        }
        guard let install = options.installDirectory ?? options.preset.defaultInstallDirectory else {
            throw PatchError.invalidOption("--install-dir", "is required with --preset none")
        }
        let installRelative = try AgentPath.normalize(option: install, name: "--install-dir")
        installDirectory = "/" + installRelative
        let agentRoot = try AgentPath.normalize(option: options.agentRoot ?? options.preset.defaultAgentRoot, name: "--agent-root")
        let includes = options.includes.isEmpty
            ? options.preset.defaultIncludes
            : try options.includes.map { try AgentPath.normalize(option: $0, name: "--include") }
        tree = AgentTreeSettings(installDirectory: installRelative, agentRoot: agentRoot, includes: includes,
                                 normalizeModes: options.preset.normalizesModes, defaultTime: options.sourceDateEpoch ?? 0,
                                 maxUncompressedBytes: options.maxAgentBytes)
        try tree.validate()  // here too, so a bad --install-dir or size is refused before any image is read

        explicitLauncher = options.launcher ?? options.preset.defaultLauncher
        if options.preset == .none && explicitLauncher == nil {
            throw PatchError.invalidOption("--launcher", "is required with --preset none")
        }
        if let launcher = explicitLauncher, launcher.isEmpty || launcher[0].isEmpty {
            throw PatchError.invalidOption("--launcher", "must name a program")
        }

        var env: [(String, String)] = []
        if options.preset == .falcon {
            guard let cid = options.cid else {
                throw PatchError.invalidOption("--cid", "is required with the falcon preset (your Falcon customer ID)")
            }
            guard AgentPreset.isValidFalconCID(cid) else {
                throw PatchError.invalidOption("--cid", "is not a Falcon CID (32 hex digits, optionally -XX)")
            }
            let service = options.cloudService ?? "ECS_FARGATE"
            guard AgentPreset.falconCloudServices.contains(service) else {
                throw PatchError.invalidOption("--cloud-service", "must be one of \(AgentPreset.falconCloudServices.joined(separator: ", "))")
            }
            env.append(("FALCONCTL_OPTS", AgentPreset.falconctlOptions(cid: cid, extra: options.falconctlOptions)))
            env.append(("CS_CLOUD_SERVICE", service))
            if let container = options.container { env.append(("CS_CONTAINER", container)) }
            env.append(("__CS_FALCON_SENSOR_ROOT", installDirectory))
        }
        for (key, value) in options.env {
            env.removeAll { $0.0 == key }
            env.append((key, value))
        }
        self.env = env
        labels = options.labels
        repatch = options.repatch
        created = options.sourceDateEpoch
        compression = options.compression
    }

    /// The launcher for one platform: given, or (falcon) found in the agent layer that was built.
    public func launcher(for platform: Platform, layer: AgentLayer, agent: String) throws -> [String] {
        // Taken only when no other launcher was asked for (see PatchEngine.prepareAgents).
        if let recorded = layer.recordedLauncher { return recorded }
        let present: (String) -> Bool = { layer.contains($0) }
        if let explicit = explicitLauncher {
            if AgentPath.isWithin(String(explicit[0].dropFirst()), tree.installDirectory), !present(explicit[0]) {
                throw PatchError.launcherNotFound(agent: agent, reason: "\(explicit[0]) is not in the agent layer")
            }
            return explicit
        }
        // The first by byte order, found without sorting every path (this runs for every image of a fleet).
        if let entrypoint = layer.paths.filter({ $0.string.pathLastComponent().bytesEqual("falcon-entrypoint") }).min() {
            return ["/" + entrypoint.string]
        }
        let launcher = try AgentPreset.falconLoaderLauncher(installDirectory: installDirectory, platform: platform)
        let missing = [launcher[0], launcher[3], launcher[4]].filter { !present($0) }
        guard missing.isEmpty else {
            throw PatchError.launcherNotFound(agent: agent,
                reason: "it has no falcon-entrypoint, and the ECS launcher needs \(missing.joined(separator: ", "))")
        }
        return launcher
    }
}
