import AllTransports
import ArgumentParser
import ImagePatch
import JSON
import OCI

struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Append the agent's layer to every selected platform of an image and start the agent before the application.",
        discussion: TransportTable.referencesHelp + """

            falconutil's spellings are accepted: patch-image, --source-image-uri, --target-image-uri, --falcon-image-uri,
            --image-pull-policy (accepted and ignored: imagepatch never pulls into a local image store).
            """,
        aliases: ["patch-image"])

    @Option(name: [.customLong("source"), .customLong("source-image-uri")], help: "The application image.")
    var source: String

    @Option(name: [.customLong("agent"), .customLong("falcon-image-uri")], help: "The agent image (e.g. the Falcon container sensor).")
    var agent: String

    @Option(name: [.customLong("target"), .customLong("target-image-uri")], help: "Where to write the patched image.")
    var target: String

    @Option(
        name: .customLong("platform"),
        help: "os/arch[/variant] to patch (repeatable or comma-separated); default: every platform of the source.")
    var platforms: [String] = []

    @Option(help: ArgumentHelp("Agent preset: \(AgentRegistry.list(AgentRegistry.names))."))
    var preset: String = "falcon"

    @Option(name: .customLong("install-dir"), help: "Where the agent goes in the application image.")
    var installDir: String?

    @Option(name: .customLong("agent-root"), help: "The directory of the agent image to take (default: the preset's).")
    var agentRoot: String?

    @Option(name: .customLong("include"), help: "A path under the agent root to take (repeatable); default: the preset's.")
    var includes: [String] = []

    @Option(help: "The launcher: a path, or a JSON array such as '[\"/agent/run\",\"--flag\"]'.")
    var launcher: String?

    @Option(help: "K=V added to the image's environment (repeatable).")
    var env: [String] = []

    @Option(help: "K=V added to the image's labels (repeatable).")
    var label: [String] = []

    @Option(help: "Falcon customer ID (falcon preset).")
    var cid: String?

    @Option(name: .customLong("falconctl-opts"), help: "More falconctl options, appended to FALCONCTL_OPTS.")
    var falconctlOpts: String?

    @Option(name: .customLong("cloud-service"), help: "CS_CLOUD_SERVICE: ECS_FARGATE (default), ACA, ACI or CLOUDRUN.")
    var cloudService: String?

    @Option(help: "CS_CONTAINER: the container name the sensor reports.")
    var container: String?

    @Option(name: .customLong("container-group"), help: "CS_AZURE_CONTAINER_GROUP: the Azure container group (--cloud-service ACI).")
    var containerGroup: String?

    @Option(name: .customLong("resource-group"), help: "CS_AZURE_RESOURCE_GROUP: the Azure resource group (--cloud-service ACI or ACA).")
    var resourceGroup: String?

    @Option(help: "CS_AZURE_SUBSCRIPTION: the Azure subscription ID (--cloud-service ACI or ACA).")
    var subscription: String?

    @Option(name: .customLong("image-pull-policy"), help: "Accepted for falconutil compatibility; has no effect.")
    var imagePullPolicy: String?

    @OptionGroup var registryFlags: RegistryFlags

    @Option(help: "How many blobs to transfer at once.")
    var jobs: Int = 4

    @OptionGroup var timeoutFlag: TimeoutFlag

    @Option(
        name: .customLong("max-agent-size"),
        help: ArgumentHelp(
            "The most the agent image's layers may decompress to (bytes, or with K, M, G, T: powers of 1024; default 4G).",
            valueName: "size"))
    var maxAgentSize: String?

    @Option(name: .customLong("max-archive-size"), help: ArgumentHelp(ReferenceResolver.maxArchiveSizeHelp, valueName: "size"))
    var maxArchiveSize: String?

    @OptionGroup var cacheFlags: CacheFlags

    @OptionGroup var compressionFlag: CompressionFlag

    @OptionGroup var attachFlags: AttachFlags

    @Flag(help: "Replace the agent layer of an image that is already patched.")
    var repatch = false

    @Flag(name: .customLong("dry-run"), help: "Resolve and build everything, print the result, write nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log every step.")
    var verbose = false

    @OptionGroup var progressFlags: ProgressFlags

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: verbose, quiet: progressFlags.isQuiet)
        try await CommandSupport.run(
            timeout: timeoutFlag.timeout, afterTimeout: "; no tag of the target was changed", progress: progressFlags, verbose: verbose
        ) {
            var options = try makeOptions()
            options.progress = CommandSupport.progressObserver
            let resolver = try ReferenceResolver(
                registry: try registryFlags.makeTransport(logger: logger, credsFor: [target, source, agent]),
                maxArchiveSize: maxArchiveSize)
            let sourceImage = try await resolver.source(source)
            let agentImage = try await resolver.source(agent)
            let destination = try await resolver.destination(target)
            let engine = PatchEngine(
                logger: logger, layerCache: try cacheFlags.makeCache(logger: logger),
                registryLayerCache: try cacheFlags.makeRegistryLayerCache(resolver: resolver, logger: logger))
            let result = try await engine.patch(
                source: sourceImage, agent: agentImage,
                destination: destination, options: options)
            if json {
                CommandSupport.printJSON(result.json.serialized(indent: 2))
            } else {
                for platform in result.platforms {
                    // The tab separates fields: only the untrusted field is escaped.
                    print("\(TerminalText.escaped(platform.platform.description))\t\(platform.sourceDigest) -> \(platform.digest)")
                }
                let verb = result.upToDate ? "up-to-date" : dryRun ? "would write" : "wrote"
                CommandSupport.printLine("\(verb) \(result.target) \(result.root.digest)")
                for artifact in result.attachments?.artifacts ?? [] {
                    CommandSupport.printLine("attached \(artifact.artifactType) \(artifact.digest) to \(artifact.platform)")
                }
                for signature in result.attachments?.signatures ?? [] {
                    CommandSupport.printLine("signed \(signature.subject) (\(signature.tag))")
                }
            }
        }
    }

    func makeOptions() throws -> PatchOptions {
        var options = PatchOptions()
        guard let preset = AgentPreset(rawValue: preset) else { throw AgentRegistry.unknownPreset(preset) }
        options.preset = preset
        options.platforms = try platforms.flatMap { $0.split(separator: ",") }.map { try Platform(parsing: String($0)) }
        options.installDirectory = installDir
        options.agentRoot = agentRoot
        options.includes = includes
        options.launcher = try launcher.map(Self.parseLauncher)
        options.env = try env.map { try Self.keyValue($0, option: "--env") }
        options.labels = try label.map { try Self.keyValue($0, option: "--label") }
        // Keyed by flag name, as the presets declare their settings (AgentRegistry.settingFlags).
        options.agentSettings = [
            "cid": cid, "falconctl-opts": falconctlOpts, "cloud-service": cloudService,
            "container": container, "container-group": containerGroup, "resource-group": resourceGroup,
            "subscription": subscription,
        ].compactMapValues { $0 }
        options.repatch = repatch
        options.dryRun = dryRun
        guard (1...32).contains(jobs) else { throw PatchError.invalidOption("--jobs", "must be between 1 and 32") }
        options.jobs = jobs
        if let epoch = CommandSupport.environment("SOURCE_DATE_EPOCH"), !epoch.isEmpty {
            guard let seconds = ASCIINumber.parse(epoch, in: Timestamp.validSeconds) else {
                throw PatchError.invalidOption(
                    "SOURCE_DATE_EPOCH",
                    "\(epoch.debugDescription) is not a number of seconds from 0 to \(Timestamp.validSeconds.upperBound) (year 9999)")
            }
            options.sourceDateEpoch = seconds
        }
        if let maxAgentSize { options.maxAgentBytes = try CommandLineNumbers.size(maxAgentSize, option: "--max-agent-size") }
        try compressionFlag.apply(to: &options)
        try attachFlags.apply(to: &options)
        return options
    }

    static func parseLauncher(_ text: String) throws -> [String] {
        guard text.hasPrefix("[") else { return [text] }
        guard let array = (try? JSONValue(parsing: Array(text.utf8)))?.arrayValue,
            array.allSatisfy({ $0.stringValue != nil })
        else {
            throw PatchError.invalidOption("--launcher", "\(text) is not a JSON array of strings")
        }
        return array.compactMap(\.stringValue)
    }

    static func keyValue(_ text: String, option: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw PatchError.invalidOption(option, "\(text.debugDescription) is not KEY=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}
