import Foundation
import ImagePatch
import Testing

/// The registry is the one list of agents: the command line's help and errors come from it, and each
/// agent answers every policy question itself.
@Suite("Agent registry")
struct AgentRegistryTests {
    @Test("the registry lists every preset once, and each name finds its own agent")
    func everyPreset() {
        #expect(AgentRegistry.names == ["falcon", "lacework", "none", "datadog"])
        #expect(Set(AgentRegistry.names).count == AgentRegistry.names.count, "names are unique")
        for name in AgentRegistry.names {
            #expect(AgentPreset(rawValue: name)?.rawValue == name)
        }
        #expect(AgentPreset(rawValue: "Falcon") == nil, "names are exact")
        #expect(AgentPreset(rawValue: "") == nil)
        #expect(AgentPreset.custom.rawValue == "none", "today's `none` keeps its name")
        #expect(AgentPreset.falcon == AgentPreset(rawValue: "falcon"))
    }

    /// `imagepatch patch --help` and `taskdef --help`: the sentence after "Agent preset:", with the
    /// names split off (`a, b or c`), one list per parenthesised mode.
    static func presetLists(_ help: String) throws -> [String] {
        let flat = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let start = try #require(flat.range(of: "Agent preset: "))
        let end = try #require(flat[start.upperBound...].range(of: ". (default"))
        return flat[start.upperBound..<end.lowerBound].components(separatedBy: "; ")
    }

    static func names(_ list: String) -> [String] {
        list.replacingOccurrences(of: " or ", with: ", ").components(separatedBy: ", ")
    }

    @Test("`patch --help` lists exactly the registry's presets; `taskdef --help` those with a sidecar, then all")
    func helpListsTheRegistry() async throws {
        let patch = try await ImagePatchCLI.run(["patch", "--help"])
        #expect(patch.succeeded, "\(patch)")
        #expect(try Self.presetLists(patch.stdoutText).map(Self.names) == [AgentRegistry.names])

        let taskdef = try await ImagePatchCLI.run(["taskdef", "--help"])
        #expect(taskdef.succeeded, "\(taskdef)")
        let lists = try Self.presetLists(taskdef.stdoutText)
        #expect(lists.count == 2)
        #expect(lists.first.map { Self.names($0.replacingOccurrences(of: " (sidecar)", with: "")) } == ["falcon", "lacework"])
        #expect(lists.last.map { Self.names($0.replacingOccurrences(of: " (embedded)", with: "")) } == AgentRegistry.names)
    }

    @Test("an unknown preset is refused with the registry's names, by both commands")
    func unknownPreset() async throws {
        let expected = "--preset \"sysdig\" is not one of \(AgentRegistry.names.joined(separator: ", "))"
        let patch = try await ImagePatchCLI.run([
            "patch", "--source", "oci:/nonexistent/app", "--agent", "oci:/nonexistent/agent",
            "--target", "oci:/nonexistent/out", "--preset", "sysdig",
        ])
        Expect.oneLineError(patch, mentions: [expected])
        let taskdef = try await Taskdef.run([Taskdef.path("falcon-sample-before.json"), "--preset", "sysdig"])
        Expect.oneLineError(taskdef, mentions: [expected])
    }

    @Test("every setting flag an agent declares is a flag of `imagepatch patch`")
    func settingFlagsExist() async throws {
        let help = try await ImagePatchCLI.run(["patch", "--help"]).stdoutText
        #expect(!AgentRegistry.settingFlags.isEmpty)
        for flag in AgentRegistry.settingFlags {
            #expect(help.contains("--\(flag) <"), "patch --help has no --\(flag)")
        }
    }

    /// What each agent answers, from its vendor's documentation: a change here is a change of policy.
    @Test(
        "each agent's policy",
        arguments: [
            ("falcon", AgentModePolicy.readableByAll, ["SYS_PTRACE"], true),
            ("lacework", .asBuilt, [], true),
            ("none", .asBuilt, ["SYS_PTRACE"], false),
            ("datadog", .asBuilt, [], false),
        ])
    func policy(name: String, modes: AgentModePolicy, capabilities: [String], hasSidecar: Bool) throws {
        let agent = try #require(AgentPreset(rawValue: name)).definition
        #expect(agent.modes == modes)
        #expect(agent.linuxCapabilities == capabilities)
        #expect(AgentRegistry.sidecarNames.contains(name) == hasSidecar)
    }

    @Test("datadog: /datadog-init alone, into a directory of its own, started from there")
    func datadogLayout() throws {
        let agent = try #require(AgentPreset(rawValue: "datadog")).definition
        #expect(agent.paths == AgentPaths(installDirectory: "/opt/datadog-serverless-init", agentRoot: "/", includes: ["datadog-init"]))
        #expect(agent.launcher.known(installDirectory: "/opt/datadog-serverless-init") == ["/opt/datadog-serverless-init/datadog-init"])
        #expect(agent.launcher.known(installDirectory: "/srv/dd") == ["/srv/dd/datadog-init"], "the launcher follows --install-dir")
    }
}
