import OCI

/// The options with the preset applied and checked: what the engine actually does.
public struct ResolvedSettings: Sendable {
    public let preset: AgentPreset
    public let tree: AgentTreeSettings
    /// Absolute install directory, as it appears in the application image.
    public let installDirectory: String
    /// `--launcher`, or the preset's when it is known before the layer is built.
    public let explicitLauncher: [String]?
    public let env: [(String, String)]
    public let labels: [(String, String)]
    public let repatch: Bool
    public let created: Int64?
    public let compression: LayerCompression

    public init(_ options: PatchOptions) throws {
        preset = options.preset
        let agent = options.preset.definition
        if let epoch = options.sourceDateEpoch, !Timestamp.validSeconds.contains(epoch) {
            throw PatchError.invalidOption(
                "SOURCE_DATE_EPOCH", "\(epoch) is not a number of seconds from 0 to \(Timestamp.validSeconds.upperBound) (year 9999)")
        }
        guard let install = options.installDirectory ?? agent.paths.installDirectory else {
            throw PatchError.invalidOption("--install-dir", "is required with --preset \(agent.name)")
        }
        let installRelative = try AgentPath.normalize(option: install, name: "--install-dir")
        installDirectory = "/" + installRelative
        let agentRoot = try AgentPath.normalize(option: options.agentRoot ?? agent.paths.agentRoot, name: "--agent-root")
        let includes =
            options.includes.isEmpty
            ? agent.paths.includes
            : try options.includes.map { try AgentPath.normalize(option: $0, name: "--include") }
        tree = AgentTreeSettings(
            installDirectory: installRelative, agentRoot: agentRoot, includes: includes,
            normalizeModes: agent.modes.normalizesModes, defaultTime: options.sourceDateEpoch ?? 0,
            maxUncompressedBytes: options.maxAgentBytes)
        try tree.validate()  // here too, so a bad --install-dir or size is refused before any image is read

        explicitLauncher = options.launcher ?? agent.launcher.known(installDirectory: installDirectory)
        if case .givenByUser = agent.launcher, explicitLauncher == nil {
            throw PatchError.invalidOption("--launcher", "is required with --preset \(agent.name)")
        }
        if let launcher = explicitLauncher, launcher.isEmpty || launcher[0].isEmpty {
            throw PatchError.invalidOption("--launcher", "must name a program")
        }

        let values = AgentSettingValues(flags: options.agentSettings, environment: options.env)
        try options.preset.checkSettings(values, for: .image)
        var env = try agent.imageEnvironment(values, installDirectory: installDirectory)
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

    /// The launcher for one platform, given the agent layer's files: `--launcher` or the preset's
    /// known one (checked to be in the layer when it lies in the install directory), else the one
    /// the preset finds in the layer.
    public func launcher(for platform: Platform, in files: some AgentFiles, agent: String) throws -> [String] {
        if let explicit = explicitLauncher {
            if AgentPath.isWithin(String(explicit[0].dropFirst()), tree.installDirectory), !files.contains(explicit[0]) {
                throw PatchError.launcherNotFound(agent: agent, reason: "\(explicit[0]) is not in the agent layer")
            }
            return explicit
        }
        guard case .discovered(let discovery) = preset.definition.launcher else {
            throw PatchError.invalidOption("--launcher", "is required with --preset \(preset.rawValue)")
        }
        return try discovery.find(in: files, installDirectory: installDirectory, platform: platform, agent: agent)
    }
}
