import ArgumentParser
import Foundation
import Glibc
import IOFoundation
import ImagePatch
import Logging
import OCI
import TaskDefinition

/// `imagepatch taskdef`: an ECS task definition in, one ready for `aws ecs register-task-definition
/// --cli-input-json` out. Offline, except to read an image's Entrypoint/Cmd (or digest) when a
/// container leaves it to the image.
struct TaskdefCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskdef",
        abstract: "Patch an ECS task definition: add the agent as an init container (sidecar), or point it at patched images (embedded).",
        discussion: """
            Reads a task definition (bare, or describe-task-definition's {"taskDefinition": …}) from FILE, from - (stdin), \
            or from --ecs-spec-file / --ecs-spec, and writes JSON for `aws ecs register-task-definition --cli-input-json`. \
            The read-only fields AWS adds (taskDefinitionArn, revision, status, deleteRequestedAt, …: the members of the AWS \
            API model's TaskDefinition that RegisterTaskDefinitionRequest lacks) are removed; other fields keep their \
            values and order. Input is limited to 1 MiB, and FILE must be a regular file (use - for a pipe).

            The Falcon ECS patching utility's single-dash flags work too: -cid, -image, -pulltoken, -ecs-spec-file, \
            -ecs-spec, -secret-arn, -falconctl-opts.
            """)

    @Argument(help: "The task definition file, or - for stdin.")
    var file: String?

    @Option(
        name: [.customLong("ecs-spec-file"), .customLong("ecs-spec-file", withSingleDash: true)],
        help: "The task definition file (the Falcon patching utility's spelling).")
    var ecsSpecFile: String?

    @Option(
        name: [.customLong("ecs-spec"), .customLong("ecs-spec", withSingleDash: true)],
        help: "The task definition as a JSON string.")
    var ecsSpec: String?

    @Option(name: .customLong("output"), help: "Write the result here (atomically) instead of stdout.")
    var output: String?

    @Option(help: "sidecar (an init container delivers the agent) or embedded (images patched with `imagepatch patch`).")
    var mode: String = "sidecar"

    @Option(
        help: ArgumentHelp(
            "Agent preset: \(AgentRegistry.list(AgentRegistry.sidecarNames)) (sidecar); \(AgentRegistry.list(AgentRegistry.names)) (embedded)."
        ))
    var preset: String = "falcon"

    @Option(
        name: [.customLong("agent-image"), .customLong("image"), .customLong("image", withSingleDash: true)],
        help: "The agent image the sidecar runs (e.g. the Falcon container sensor in your registry).")
    var agentImage: String?

    @OptionGroup var agentSettings: AgentSettingFlags

    @Option(
        name: [.customLong("secret-arn"), .customLong("secret-arn", withSingleDash: true)],
        help: "Secrets Manager ARN of the credentials for pulling the agent image (the init container's repositoryCredentials).")
    var secretArn: String?

    @Option(
        name: [.customLong("pulltoken"), .customLong("pulltoken", withSingleDash: true)],
        help: "Same as --pull-token (the Falcon patching utility's spelling).")
    var pulltoken: String?

    @Option(name: .customLong("image-map"), help: "OLD=NEW: containers running OLD get the patched image NEW (embedded; repeatable).")
    var imageMap: [String] = []

    @Option(
        name: .customLong("from-patch-result"),
        help: "The `imagepatch patch --json` output naming the patched image (embedded; repeatable).")
    var patchResults: [String] = []

    @Option(
        help:
            "Embedded: the launcher to put before entryPoint overrides, a path or a JSON array (default: the patch result's, or the patched image's label)."
    )
    var launcher: String?

    @Option(help: "K=V added to every patched container's environment (repeatable).")
    var env: [String] = []

    @OptionGroup var registryFlags: RegistryFlags

    @OptionGroup var timeoutFlag: TimeoutFlag

    @Flag(name: .shortAndLong, help: "Quiet: no notices on stderr, only errors.")
    var quiet = false

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: false, quiet: quiet)
        try await CommandSupport.run(timeout: timeoutFlag.timeout, afterTimeout: "; nothing was written") {
            let (bytes, source) = try readInput()
            let document = try TaskDefinitionDocument(bytes: bytes, source: source)
            let resolver = try registryFlags.deployTimeImageResolver(pulltoken: pulltoken, agentImage: agentImage, logger: logger)
            let result: TaskPatchResult
            switch mode {
            case "sidecar":
                try refuse(!imageMap.isEmpty, "--image-map", "is for --mode embedded")
                try refuse(!patchResults.isEmpty, "--from-patch-result", "is for --mode embedded")
                try refuse(launcher != nil, "--launcher", "is for --mode embedded (the sidecar preset knows its launcher)")
                var options = SidecarOptions()
                options.preset = try parsePreset()
                options.agentImage = agentImage
                options.agentSettings = agentSettings.values
                options.secretArn = secretArn
                options.env = try env.map { try PatchCommand.keyValue($0, option: "--env") }
                result = try await SidecarPatcher(options: options, resolver: resolver).patch(document)
            case "embedded":
                try refuse(agentImage != nil, "--agent-image", "is for --mode sidecar (embedded images carry the agent)")
                try refuse(secretArn != nil, "--secret-arn", "is for --mode sidecar")
                var options = EmbeddedOptions()
                options.preset = try parsePreset()
                options.imageMap = try imageMap.map { try PatchCommand.keyValue($0, option: "--image-map") }.map { (old: $0.0, new: $0.1) }
                options.patchResults = try patchResults.map { path in
                    try PatchResultFile(
                        bytes: try Self.readFile(path, limit: PatchResultFile.maxBytes, what: "the patch result"), file: path)
                }
                options.agentSettings = agentSettings.values
                options.env = try env.map { try PatchCommand.keyValue($0, option: "--env") }
                options.launcher = try launcher.map(PatchCommand.parseLauncher)
                result = try await EmbeddedPatcher(options: options, resolver: resolver).patch(document)
            default:
                throw PatchError.invalidOption("--mode", "\(mode.debugDescription) is not sidecar or embedded")
            }
            result.notices.forEach { logger.notice("\($0)") }
            try CommandSupport.writeOutput(result.document.serialized(), to: output)
        }
    }

    private func refuse(_ condition: Bool, _ option: String, _ reason: String) throws {
        if condition { throw PatchError.invalidOption(option, reason) }
    }

    private func parsePreset() throws -> AgentPreset {
        guard let value = AgentPreset(rawValue: preset) else { throw AgentRegistry.unknownPreset(preset) }
        return value
    }

    private func readInput() throws -> ([UInt8], String) {
        let given = [file, ecsSpecFile, ecsSpec.map { _ in "--ecs-spec" }].compactMap { $0 }
        guard given.count <= 1 else {
            throw PatchError.invalidOption("the task definition", "is given more than once (FILE, --ecs-spec-file, --ecs-spec): give one")
        }
        if let ecsSpec { return (Array(ecsSpec.utf8), "--ecs-spec") }
        let path = file ?? ecsSpecFile
        if let path, path != "-" {
            return (try Self.readFile(path, limit: TaskDefinitionDocument.maxBytes, what: "the task definition"), path)
        }
        if registryFlags.passwordStdin {
            throw PatchError.invalidOption("--password-stdin", "cannot be used when the task definition comes from stdin")
        }
        if path == nil && isatty(0) == 1 {
            throw PatchError.invalidOption("the task definition", "is missing: give FILE, - for stdin, --ecs-spec-file or --ecs-spec")
        }
        return (try StandardInput.readAll(limit: TaskDefinitionDocument.maxBytes, what: "the task definition on stdin"), "stdin")
    }

    /// A regular file (FileReader refuses a FIFO, whose open would block, and a device such as
    /// /dev/zero, which never ends; a pipe goes through `-`), read up to `limit`.
    static func readFile(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        let reader = try FileReader(path: path, what: what)
        guard reader.size <= Int64(limit) else { throw OCIError.tooLarge(what: "\(what) \(path)", limit: Int64(limit)) }
        return try reader.readAll(limit: limit, what: "\(what) \(path)")
    }
}
