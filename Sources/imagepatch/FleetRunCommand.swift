import ArgumentParser
import Fleet
import Foundation
import ImagePatch
import JSON
import Logging
import OCI

/// `imagepatch fleet run`: patches the items of a plan (or of a fleet file, planned first), all of
/// them, one shard, or one item, and prints one result line per item as it finishes.
struct FleetRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Patch the items of a fleet plan: all, one shard, or one item; one JSON result line per item.",
        discussion: """
            Give the plan that fleet plan printed, so every shard works from the same resolved digests; a fleet file is \
            planned first. --shard I/N takes the items whose index in the plan is I modulo N (I from 0 to N-1); \
            --shard k8s takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) and N from IMAGEPATCH_SHARD_COUNT. \
            Each item is patched from its source as imagepatch patch would, with the plan's options; the agent layer is \
            built once per agent platform and kept in the cache, and an item whose target already is the result is \
            reported up-to-date without pushing anything. The exit status is 1 when an item failed, after the others ran.
            """)

    @Argument(help: "A plan (JSON, from fleet plan) or a fleet file (YAML or JSON).")
    var file: String

    @Option(help: ArgumentHelp("Run one shard of the plan: I/N, or k8s.", valueName: "I/N|k8s"))
    var shard: String?

    @Option(help: ArgumentHelp("Run only the item with this id.", valueName: "id"))
    var item: String?

    @Option(help: "How many items to patch at once.")
    var jobs: Int = 2

    @OptionGroup var cacheFlags: CacheFlags

    @OptionGroup var registryFlags: RegistryFlags

    @OptionGroup var timeoutFlag: TimeoutFlag

    /// For every item, from the command line only: a plan is untrusted and may not choose keys.
    @OptionGroup var attachFlags: AttachFlags

    @Flag(name: .shortAndLong, help: "Log every step.")
    var verbose = false

    @OptionGroup var progressFlags: ProgressFlags

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: verbose, quiet: progressFlags.isQuiet)
        var anyFailed = false
        try await CommandSupport.run(
            timeout: timeoutFlag.timeout, afterTimeout: "; items not reported did not move their tags", progress: progressFlags,
            verbose: verbose
        ) {
            guard (1...32).contains(jobs) else { throw PatchError.invalidOption("--jobs", "must be between 1 and 32") }
            let selection = try FleetShard(shard: shard, environment: ProcessInfo.processInfo.environment)
            let cache = try cacheFlags.makeCache(logger: logger)
            var withAttachments = PatchOptions()
            try attachFlags.apply(to: &withAttachments)
            let attach = withAttachments.attach
            let plan = try await loadPlan(logger: logger)
            var items =
                selection.map { selection in plan.items.enumerated().filter { selection.contains($0.offset) }.map(\.element) }
                ?? plan.items
            if let item {
                items = items.filter { $0.id == item }
                guard !items.isEmpty else {
                    throw PatchError.invalidOption(
                        "--item", "\(item.debugDescription) is not an item of \(file)\(shard == nil ? "" : " in this shard")")
                }
            }
            logger.info("\(items.count) of \(plan.items.count) items to run")
            let transport = try registryFlags.makeTransport(logger: logger, credsFor: items.first.map { [$0.target] } ?? [])
            let resolver = ReferenceResolver(registry: transport)
            let engine = PatchEngine(
                logger: logger, layerCache: cache,
                registryLayerCache: try cacheFlags.makeRegistryLayerCache(resolver: resolver, logger: logger))
            anyFailed = try await withThrowingTaskGroup(of: FleetResult.self) { group in
                var next = 0
                var failed = false
                func start() {
                    guard next < items.count else { return }
                    let work = items[next]
                    next += 1
                    group.addTask {
                        await Self.patch(
                            work, engine: engine, resolver: resolver, attach: attach, progress: CommandSupport.progressObserver)
                    }
                }
                for _ in 0..<jobs { start() }
                for try await result in group {
                    // JSON: control characters in it are escaped by the serializer.
                    CommandSupport.printJSON(Array(result.jsonLine().utf8))
                    failed = failed || result.status == .failed
                    start()
                }
                return failed
            }
        }
        if anyFailed { throw ExitCode.failure }
    }

    /// A plan file as it is, or a fleet file planned now.
    private func loadPlan(logger: Logger) async throws -> FleetPlan {
        let bytes = try FleetInput.read(file, limit: FleetPlan.maxBytes, what: "the plan or fleet file")
        if bytes.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "[") {
            return try FleetPlan(bytes: bytes, file: file)
        }
        guard bytes.count <= FleetFile.maxBytes else {
            throw PatchError.invalidOption(file, "is larger than the \(FleetFile.maxBytes)-byte limit of a fleet file")
        }
        let fleet = try FleetFile(bytes: bytes, file: file)
        let transport = try registryFlags.makeTransport(logger: logger, credsFor: [fleet.agent.description])
        return try await FleetPlanner(registry: FleetRegistryAdapter(transport: transport, tagsPageSize: nil)).plan(fleet)
    }

    /// One item, as `imagepatch patch` would run it: its options go through patch's own parser.
    static func patch(
        _ item: FleetPlanItem, engine: PatchEngine, resolver: ReferenceResolver, attach: AttachOptions = AttachOptions(),
        progress: (any PatchProgressObserver)? = nil
    ) async -> FleetResult {
        let started = ContinuousClock.now
        func seconds() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        func failed(_ reason: String) -> FleetResult {
            FleetResult(
                id: item.id, source: item.source, target: item.target, status: .failed, digest: nil,
                bytesUploaded: 0, seconds: seconds(), error: reason)
        }
        let command: PatchCommand
        // A plan is untrusted: only the options a fleet file may set reach the patch (no --dry-run,
        // no credentials, no --target of its own).
        if let name = item.options.keys.first(where: { FleetOptions.kinds[$0] == nil }) {
            return failed("item \(item.id) has the option \(name.debugDescription), which a plan may not set")
        }
        do {
            command = try PatchCommand.parse(
                ["--source", item.source, "--agent", item.agent, "--target", item.target]
                    + Self.arguments(item.options))
        } catch {
            return failed("the options of item \(item.id): \(PatchCommand.message(for: error))")
        }
        do {
            var options = try command.makeOptions()
            options.attach = attach
            options.progress = progress
            let destination = try await resolver.destination(item.target)
            let result = try await engine.patch(
                source: try await resolver.source(item.source),
                agent: try await resolver.source(item.agent),
                destination: destination, options: options)
            return FleetResult(
                id: item.id, source: item.source, target: item.target,
                status: result.upToDate ? .upToDate : .patched, digest: result.root.digest,
                bytesUploaded: destination.uploadedBytes, seconds: seconds())
        } catch {
            return failed(String(describing: error))
        }
    }

    /// A plan item's options as `imagepatch patch` arguments: a string is one value, a list repeats
    /// the option, true is the bare flag. Unknown names are refused by patch's own parser.
    static func arguments(_ options: JSONObject) -> [String] {
        var arguments: [String] = []
        for (name, value) in options {
            switch value {
            case .string(let text): arguments += ["--\(name)=\(text)"]
            case .array(let items): arguments += items.compactMap(\.stringValue).map { "--\(name)=\($0)" }
            case .bool(true): arguments.append("--\(name)")
            default: break
            }
        }
        return arguments
    }
}

/// Which items of a plan a run takes: `I/N` by index modulo N.
struct FleetShard {
    let index: Int
    let count: Int

    func contains(_ position: Int) -> Bool { position % count == index }

    /// nil without --shard (every item).
    init?(shard: String?, environment: [String: String]) throws {
        guard let shard else { return nil }
        let indexText: String
        let countText: String
        if shard == "k8s" {
            guard let index = environment["JOB_COMPLETION_INDEX"] else {
                throw PatchError.invalidOption(
                    "--shard", "k8s needs JOB_COMPLETION_INDEX (set by a Kubernetes Job with completionMode: Indexed)")
            }
            guard let count = environment["IMAGEPATCH_SHARD_COUNT"] else {
                throw PatchError.invalidOption("--shard", "k8s needs IMAGEPATCH_SHARD_COUNT, the Job's completions")
            }
            (indexText, countText) = (index, count)
        } else {
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw PatchError.invalidOption("--shard", "\(shard.debugDescription) is not I/N or k8s") }
            (indexText, countText) = (String(parts[0]), String(parts[1]))
        }
        guard let count = ASCIINumber.parse(countText, in: 1...100_000), let index = ASCIINumber.parse(indexText, in: 0...(count - 1))
        else {
            throw PatchError.invalidOption(
                "--shard", "\(indexText.debugDescription)/\(countText.debugDescription): I must be from 0 to N-1, and N from 1 to 100000")
        }
        self.index = Int(index)
        self.count = Int(count)
    }
}
