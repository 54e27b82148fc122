import AllTransports
import Foundation
import OCI
import Testing

/// The built binary's help and errors against the transport table: what `--help` lists is what
/// is registered, and the task definition patchers refuse exactly the local transports.
@Suite("Transport help")
struct TransportHelpTests {
    static let commands = [
        [], ["patch"], ["inspect"], ["taskdef"], ["fleet"], ["fleet", "plan"], ["fleet", "run"], ["fleet", "summarize"],
    ]

    static func help(_ command: [String]) async throws -> String {
        let result = try await ImagePatchCLI.run(command + ["--help"])
        #expect(result.succeeded, "\(result)")
        return result.stdoutText
    }

    /// The transports a help text writes references for: `oci:DIR`, `[docker://]HOST`, `name://…`.
    static func referenceSyntaxNames(_ text: String) throws -> Set<String> {
        let pattern = try Regex(#"\[?([a-z][a-z0-9-]*)(?::\/\/|:)(?=[A-Z\]])"#)
        return Set(text.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) })
    }

    /// The transports `--max-archive-size`'s help names (`an oci-archive: or docker-archive: image`).
    static func maxArchiveSizeNames(_ text: String) throws -> Set<String>? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("  --max-archive-size <") }) else { return nil }
        let paragraph = lines[start...].dropFirst().prefix { !$0.hasPrefix("  -") && !$0.isEmpty }.joined(separator: " ")
        let pattern = try Regex(#"\b([a-z][a-z0-9-]*):(?=\s)"#)
        return Set(paragraph.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) })
    }

    @Test("patch --help lists every registered transport, and no other")
    func patchHelpListsTheTable() async throws {
        let help = try await Self.help(["patch"]).replacingOccurrences(of: "\n", with: " ")
        #expect(try Self.referenceSyntaxNames(help) == Set(TransportTable.all.map(\.name)), "\(help)")
        for registration in TransportTable.all {
            #expect(help.contains(registration.prefix), "patch --help does not name \(registration.prefix)")
        }
    }

    @Test("no command's help writes a reference for a transport that is not registered", arguments: commands)
    func helpNamesOnlyRegisteredTransports(command: [String]) async throws {
        let help = try await Self.help(command).replacingOccurrences(of: "\n", with: " ")
        let named = try Self.referenceSyntaxNames(help)
        #expect(named.isSubset(of: Set(TransportTable.all.map(\.name))), "\(command): \(named)")
    }

    @Test("--max-archive-size names exactly the transports that unpack archives", arguments: [["patch"], ["inspect"]])
    func maxArchiveSizeHelp(command: [String]) async throws {
        let named = try #require(try Self.maxArchiveSizeNames(try await Self.help(command)), "\(command) has no --max-archive-size")
        #expect(named == Set(LocalTransport.all.filter(\.unpacksArchive).map(\.name)))
        #expect(!named.isEmpty)
    }

    @Test(
        "taskdef refuses an agent image of every local transport (skopeo's local stores too), and takes the others",
        arguments: TransportTable.all.map(\.name) + UnsupportedTransports.all)
    func taskdefLocalImages(name: String) async throws {
        let registered = TransportTable.all.first { $0.name == name }
        let image = (registered?.prefix ?? name + ":") + (registered?.isLocal == false ? "registry.example/agent:1" : "1")
        let result = try await Taskdef.run([Taskdef.path("falcon-sample-before.json"), "--cid", Taskdef.cid, "--agent-image", image])
        if registered?.isLocal ?? UnsupportedTransports.local.contains(name) {
            Expect.oneLineError(result, mentions: ["--agent-image", image, "is not a registry image ECS can pull"])
        } else {
            #expect(result.succeeded, "\(result)")
        }
    }
}
