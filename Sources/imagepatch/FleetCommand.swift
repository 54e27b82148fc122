import ArgumentParser
import Fleet
import IOFoundation
import ImagePatch
import JSON
import OCI

/// `imagepatch fleet`: many images, one agent. `plan` resolves a fleet file into work items;
/// `summarize` folds the result lines of every shard.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Plan and summarise the patching of many images with one agent.",
        subcommands: [FleetPlanCommand.self, FleetRunCommand.self, FleetSummarizeCommand.self])
}

struct FleetPlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Resolve a fleet file into a JSON array of work items, every image pinned by digest.",
        discussion: """
            FILE is YAML or JSON: agent, options (imagepatch patch options by long name), target (a template with \
            {registry}, {repository}, {tag}) and images (each a source REPO:TAG, or a REPO with tags, match and/or latest). \
            Tags are listed with GET /v2/<name>/tags/list, following its pages. The array on stdout is what Argo's \
            withParam, Tekton's matrix and GitHub Actions' matrix take, and what fleet run reads.
            """)

    @Argument(help: "The fleet file (YAML or JSON), or - for stdin.")
    var file: String

    @Flag(help: "Indent the JSON (default: one line, as a CI output variable wants it).")
    var pretty = false

    @Option(
        name: .customLong("tags-page-size"),
        help: ArgumentHelp("Ask registries for N tags per page of the tag list (default: the registry's choice).", valueName: "n"))
    var tagsPageSize: Int?

    @Option(help: "How many registry requests to have in flight at once.")
    var jobs: Int = 8

    @OptionGroup var registryFlags: RegistryFlags

    @OptionGroup var timeoutFlag: TimeoutFlag

    @Flag(name: .shortAndLong, help: "Log every step.")
    var verbose = false

    @OptionGroup var progressFlags: ProgressFlags

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: verbose, quiet: progressFlags.isQuiet)
        try await CommandSupport.run(timeout: timeoutFlag.timeout, progress: progressFlags, verbose: verbose) {
            guard (1...32).contains(jobs) else { throw PatchError.invalidOption("--jobs", "must be between 1 and 32") }
            if let tagsPageSize, !(1...10_000).contains(tagsPageSize) {
                throw PatchError.invalidOption("--tags-page-size", "must be between 1 and 10000")
            }
            if file == "-" && registryFlags.passwordStdin {
                throw PatchError.invalidOption("--password-stdin", "cannot be used when the fleet file comes from stdin")
            }
            let bytes = try FleetInput.read(file, limit: FleetFile.maxBytes, what: "the fleet file")
            let fleet = try FleetFile(bytes: bytes, file: file)
            // --creds goes to the agent's registry: the one registry every fleet surely uses.
            let transport = try registryFlags.makeTransport(logger: logger, credsFor: [fleet.agent.description])
            let planner = FleetPlanner(registry: FleetRegistryAdapter(transport: transport, tagsPageSize: tagsPageSize), width: jobs)
            let plan = try await planner.plan(fleet)
            logger.info("\(plan.items.count) items planned from \(fleet.images.count) entries of \(file)")
            CommandSupport.printJSON(pretty ? plan.json.serialized(indent: 2) : plan.json.serialized())
        }
    }
}

struct FleetSummarizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Fold the result lines of fleet run (from every shard) into counts, failures and bytes moved.",
        discussion: """
            Each item counts once, by its last line (files in the order given): a shard run again reports its items again, \
            and the later line wins. Bytes uploaded and seconds add up every line. With --plan, items of the plan that no \
            line reports are listed as missing. The exit status is 0 unless a file cannot be read or a line is not a result.
            """)

    @Argument(help: "Result files (JSON lines, as fleet run prints them), or - for stdin.")
    var results: [String]

    @Option(help: "The plan the results are for: items without a result are reported as missing.")
    var plan: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func run() async throws {
        try await CommandSupport.run {
            guard !results.isEmpty else { throw PatchError.invalidOption("RESULTS", "give at least one result file") }
            let fleetPlan = try plan.map { path in
                try FleetPlan(bytes: try FleetInput.read(path, limit: FleetPlan.maxBytes, what: "the plan"), file: path)
            }
            var lines: [FleetResult] = []
            for path in results {
                try ResultLines.parse(
                    try FleetInput.read(path, limit: FleetInput.maxResultFileBytes, what: "the result file"),
                    file: path, plan: fleetPlan, into: &lines)
            }
            let summary = FleetSummary(results: lines, plan: fleetPlan)
            if json {
                CommandSupport.printJSON(summary.json.serialized(indent: 2))
            } else {
                summary.tableLines.forEach(CommandSupport.printLine)
            }
        }
    }
}

/// The fleet commands' input files: regular files, or `-` for stdin, bounded.
enum FleetInput {
    static let maxResultFileBytes = 256 << 20

    static func read(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        if path == "-" { return try StandardInput.readAll(limit: limit, what: "\(what) on standard input") }
        return try TaskdefCommand.readFile(path, limit: limit, what: what)
    }
}
