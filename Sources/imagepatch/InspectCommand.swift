import ArgumentParser
import ImagePatch
import JSON
import OCI

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show each platform image: digest, Entrypoint, Cmd, User, Env, layers, and whether it is patched.")

    @Argument(help: "The image reference.")
    var reference: String

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @OptionGroup var registryFlags: RegistryFlags

    @OptionGroup var timeoutFlag: TimeoutFlag

    @Option(name: .customLong("max-archive-size"), help: ArgumentHelp(ReferenceResolver.maxArchiveSizeHelp, valueName: "size"))
    var maxArchiveSize: String?

    @OptionGroup var progressFlags: ProgressFlags

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: false, quiet: progressFlags.isQuiet)
        try await CommandSupport.run(timeout: timeoutFlag.timeout, progress: progressFlags) {
            let resolver = try ReferenceResolver(
                registry: try registryFlags.makeTransport(logger: logger, credsFor: [reference]),
                maxArchiveSize: maxArchiveSize)
            let report = try await ImageInspector.inspect(try await resolver.source(reference))
            report.notices.forEach { logger.notice("\($0)") }
            if json {
                CommandSupport.printJSON(report.json.serialized(indent: 2))
                return
            }
            let line = CommandSupport.printLine
            line("\(report.reference)  \(report.root.digest)  \(report.root.mediaType)")
            // A single manifest's signatures and referrers are those of its one platform, shown below.
            if let attachments = report.rootAttachments, !report.platforms.contains(where: { $0.digest == report.root.digest }) {
                Self.printAttachments(attachments)
            }
            for platform in report.platforms {
                let runtime = platform.config.runtime
                let text: (String) -> String = { key in
                    runtime[key].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "null"
                }
                line("")
                line("\(platform.platform)  \(platform.digest)")
                line("  Entrypoint: \(text("Entrypoint"))")
                line("  Cmd:        \(text("Cmd"))")
                line("  User:       \(platform.config.user.flatMap { $0.isEmpty ? nil : $0 } ?? "(root)")")
                line("  Env:")
                platform.config.env.forEach { line("    \($0)") }
                line("  Layers:")
                platform.layers.forEach { line("    \($0.mediaType)  \($0.size)  \($0.digest)") }
                if let agent = platform.patchedWith {
                    line("  Patched:    yes, with \(agent) (\(platform.config.label(PatchLabels.preset) ?? "?") preset)")
                } else {
                    line("  Patched:    no")
                }
                if let attachments = platform.attachments { Self.printAttachments(attachments) }
            }
        }
    }

    /// `Signatures:` and `Referrers:` lines, for registry sources only.
    static func printAttachments(_ attachments: FoundAttachments) {
        let line = CommandSupport.printLine
        if let signatures = attachments.signatures {
            line("  Signatures: \(signatures.count) (\(signatures.tag))")
        } else {
            line("  Signatures: none")
        }
        if attachments.referrers.isEmpty {
            line("  Referrers:  none")
            return
        }
        line("  Referrers:")
        for referrer in attachments.referrers {
            line("    \(referrer.artifactType ?? "(no artifactType)")  \(referrer.digest)  via \(referrer.listing.name)")
        }
    }
}
