import Foundation
import Testing

/// Names from images reach stderr (notices, progress, errors) and `inspect`'s output. A hostile
/// image must not be able to write control characters to the terminal or forge a line.
@Suite("Hostile names are escaped in output")
struct HostileOutputTests {
    /// The app image with the forgery in an Env value, a label and (as an index entry's media type)
    /// a notice; `patchedWith` also puts it in the label `inspect` prints as the agent.
    static func hostileImage(in tmp: TempDirectory, patchedWith agent: String? = nil) async throws -> String {
        let fixtures = try await Fixtures.ready()
        let extra: [String: Any] = [
            "mediaType": "application/x-junk" + HostileLayout.forgery,
            "digest": "sha256:" + String(repeating: "0", count: 64), "size": 1,
        ]
        return try HostileLayout.make(from: fixtures, at: tmp.appending("hostile"), extraIndexEntry: extra) { runtime in
            runtime["Env"] = (runtime["Env"] as? [String] ?? []) + ["EVIL=" + HostileLayout.forgery]
            var labels = runtime["Labels"] as? [String: String] ?? [:]
            labels["evil" + HostileLayout.forgery] = HostileLayout.forgery
            if let agent { labels["io.imagepatch.agent"] = agent }
            runtime["Labels"] = labels
        }
    }

    static func expectClean(_ run: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            HostileLayout.rawControls(in: run.stdoutText).isEmpty, "raw control characters on stdout:\n\(run.stdoutText)",
            sourceLocation: sourceLocation)
        #expect(
            HostileLayout.rawControls(in: run.stderrText).isEmpty, "raw control characters on stderr:\n\(run.stderrText)",
            sourceLocation: sourceLocation)
    }

    @Test("a successful patch of a hostile image prints no control character and no forged error line")
    func patch() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("hostile-patch") { tmp in
            let source = try await Self.hostileImage(in: tmp)
            let run = try await ImagePatchCLI.patch(
                source: source, agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(tmp.appending("out")):p")
            #expect(run.exitCode == 0, "\(run)")
            Self.expectClean(run)
            #expect(!run.stderrLines.contains { $0.hasPrefix("imagepatch: error:") }, "a forged error line:\n\(run.stderrText)")
            #expect(run.stdoutLines.first?.hasPrefix("linux/amd64\tsha256:") == true, "fields stay tab-separated: \(run.stdoutText)")
            // The notice is there, with the media type escaped on its line.
            #expect(
                run.stderrLines.contains {
                    $0.hasPrefix("imagepatch: notice: dropping") && $0.contains(#"x-junk\x1b[2J\r\nimagepatch: error: fake"#)
                },
                "\(run.stderrText)")
        }
    }

    @Test("inspect shows hostile Env values and labels escaped, one line each")
    func inspect() async throws {
        try await TempDirectory.with("hostile-inspect") { tmp in
            let source = try await Self.hostileImage(in: tmp, patchedWith: "agent" + HostileLayout.forgery)
            let run = try await ImagePatchCLI.run(["inspect", source])
            #expect(run.exitCode == 0, "\(run)")
            Self.expectClean(run)
            #expect(!run.stderrLines.contains { $0.hasPrefix("imagepatch: error:") }, "a forged error line:\n\(run.stderrText)")
            #expect(!run.stdoutLines.contains { $0.hasPrefix("imagepatch: error:") }, "a forged line:\n\(run.stdoutText)")
            let escaped = #"\x1b[2J\r\nimagepatch: error: fake\u{202e}\u{9b}31m\x7f"#
            #expect(run.stdoutLines.contains("    EVIL=" + escaped), "\(run.stdoutText)")
            #expect(run.stdoutLines.contains { $0.hasPrefix("  Patched:    yes, with agent" + escaped) }, "\(run.stdoutText)")
        }
    }

    @Test("inspect --json stays JSON and keeps hostile values exactly")
    func inspectJSON() async throws {
        try await TempDirectory.with("hostile-inspect-json") { tmp in
            let source = try await Self.hostileImage(in: tmp)
            let report = try await ImagePatchCLI.inspectJSON(source)
            let platforms = try #require(report["platforms"] as? [[String: Any]])
            let env = try #require(platforms.first?["env"] as? [String])
            #expect(env.contains("EVIL=" + HostileLayout.forgery))
        }
    }

    @Test("an error naming a hostile value is one escaped line")
    func error() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("hostile-error") { tmp in
            let source = try await Self.hostileImage(in: tmp, patchedWith: "agent" + HostileLayout.forgery)
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(source: source, agent: fixtures.oci("agent-oci", "7"), target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: ["already patched", #"agent\x1b[2J\r\nimagepatch: error: fake"#])
            Self.expectClean(run)
            Expect.nothingWritten(at: target)
        }
    }
}
