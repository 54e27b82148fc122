import Foundation
import Testing

/// `--progress auto|tty|plain|none` and `--quiet`: live bars on a terminal, today's plain lines
/// elsewhere, nothing with none; the error always last. The terminal is a real pseudo-terminal
/// (Python's `pty`, and tmux for the final screen), never a faked `isatty`.
///
/// The bars are deterministic enough to assert on without timing: the first progress event (an
/// agent layer build starting) draws them at once, and a finished bar is erased at once.
@Suite("Progress display")
struct ProgressTests {
    static let escape = "\u{1B}"

    /// The local two-platform patch of the fixtures, to an `oci:` target in `scratch`.
    static func patchArguments(_ scratch: TempDirectory, _ extra: [String] = [], target: String = "out") async throws -> [String] {
        let fixtures = try await Fixtures.ready()
        return [
            "patch", "--source", fixtures.oci("app-oci", "1"), "--agent", fixtures.oci("agent-oci", "7"),
            "--target", "oci:\(scratch.appending(target)):p", "--cid", ImagePatchCLI.cid,
        ] + extra
    }

    /// What every line of a finished run looks like once the bars are gone: imagepatch's own lines.
    static func expectPlainLines(_ lines: [String], lastPrefix: String, _ context: CustomStringConvertible) {
        #expect(!lines.isEmpty, "nothing shown: \(context)")
        for line in lines {
            #expect(line.hasPrefix("imagepatch: "), "not a plain line: \(line.debugDescription) in \(context)")
        }
        #expect(lines.last?.hasPrefix(lastPrefix) == true, "the last line is not \(lastPrefix)…: \(context)")
    }

    @Test("on a terminal (auto): bars drawn and erased in place, then only the plain lines, the result last")
    func terminalBars() async throws {
        try await TempDirectory.with("progress-tty") { scratch in
            let run = try await PseudoTerminal.run(try await Self.patchArguments(scratch))
            #expect(run.status == 0, "\(run)")
            // Drawn: an agent layer's bar; erased: the cursor moved up over the bars, the screen cleared below.
            #expect(run.stderr.contains("  agent layer linux/amd64  ["), "no agent layer bar: \(run)")
            #expect(run.stderr.contains("\(Self.escape)[J"), "the bars were never erased: \(run)")
            #expect(run.stderr.range(of: "\r\(Self.escape)\\[[0-9]+A", options: .regularExpression) != nil, "no cursor-up redraw: \(run)")
            Self.expectPlainLines(TerminalTail.lines(after: run.stderr), lastPrefix: "imagepatch: wrote oci:", run)
            // Bars are cut to the terminal's width (100 columns: 99 characters at most).
            for line in run.stderr.split(separator: "\n") where line.hasPrefix("  ") {
                #expect(line.count <= 99, "a bar wider than the terminal: \(line.debugDescription)")
            }
            #expect(run.stdout.contains("wrote oci:"), "\(run)")
        }
    }

    @Test("on a terminal, the final screen (tmux) holds the plain lines only, no leftover bar")
    func tidyScreen() async throws {
        try await TempDirectory.with("progress-tmux") { scratch in
            let command = [try RepositoryPaths.binary()] + (try await Self.patchArguments(scratch))
            let environment = "env -u CI TERM=xterm XDG_CACHE_HOME=\(shellQuoted(scratch.appending("cache")))"
            let line = "\(environment) \(command.map(shellQuoted).joined(separator: " ")) > \(shellQuoted(scratch.appending("stdout")))"
            let (status, screen) = try await TmuxScreen.capture(line)
            #expect(status == 0, "\(screen.joined(separator: "\n"))")
            Self.expectPlainLines(screen, lastPrefix: "imagepatch: wrote oci:", screen.joined(separator: "\n"))
            #expect(screen.contains { $0.hasPrefix("imagepatch: built the agent layer for linux/amd64") }, "\(screen)")
        }
    }

    @Test("not a terminal (a pipe), or CI set on a terminal: plain lines, no escape sequence, no carriage return")
    func plainLines() async throws {
        try await TempDirectory.with("progress-plain") { scratch in
            let piped = try await ImagePatchCLI.run(try await Self.patchArguments(scratch), environment: ["CI": nil])
            #expect(piped.succeeded, "\(piped)")
            let onTerminalInCI = try await PseudoTerminal.run(
                try await Self.patchArguments(scratch, target: "ci"), environment: ["CI": "true"])
            #expect(onTerminalInCI.status == 0, "\(onTerminalInCI)")
            let forced = try await PseudoTerminal.run(try await Self.patchArguments(scratch, ["--progress", "plain"], target: "forced"))
            #expect(forced.status == 0, "\(forced)")
            for (name, text) in [("pipe", piped.stderrText), ("CI=true", onTerminalInCI.stderr), ("--progress plain", forced.stderr)] {
                #expect(!text.contains(Self.escape), "\(name): an escape sequence in \(text.debugDescription)")
                #expect(!text.contains("\r"), "\(name): a carriage return in \(text.debugDescription)")
                Self.expectPlainLines(ProcessResult.lines(text), lastPrefix: "imagepatch: wrote oci:", text)
                #expect(text.contains("imagepatch: stored sha256:"), "\(name): \(text)")
            }
        }
    }

    @Test(
        "--quiet and --progress none: a successful run prints nothing on stderr", arguments: [["--quiet"], ["-q"], ["--progress", "none"]])
    func quiet(flags: [String]) async throws {
        try await TempDirectory.with("progress-quiet") { scratch in
            let piped = try await ImagePatchCLI.run(try await Self.patchArguments(scratch, flags))
            #expect(piped.succeeded, "\(piped)")
            #expect(piped.stderrText.isEmpty, "\(piped)")
            #expect(piped.stdoutText.contains("wrote oci:"), "the result still goes to stdout: \(piped)")
            let onTerminal = try await PseudoTerminal.run(try await Self.patchArguments(scratch, flags))
            #expect(onTerminal.status == 0, "\(onTerminal)")
            #expect(onTerminal.stderr.isEmpty, "\(onTerminal)")
        }
    }

    /// The agent's layers decompress to more than 1 KiB: the build fails while its bar is shown.
    @Test("an error is the last line in every mode, with the bars erased before it", arguments: ["auto", "tty", "plain", "none"])
    func errorLast(mode: String) async throws {
        try await TempDirectory.with("progress-error") { scratch in
            let arguments = try await Self.patchArguments(scratch, ["--max-agent-size", "1K", "--progress", mode])
            let terminal = try await PseudoTerminal.run(arguments)
            #expect(terminal.status == 1, "\(terminal)")
            let lines = TerminalTail.lines(after: terminal.stderr)
            #expect(lines.last?.hasPrefix("imagepatch: error: ") == true, "\(terminal)")
            #expect(lines.last?.contains("--max-agent-size") == true, "\(terminal)")
            if mode == "none" { #expect(lines.count == 1, "only the error: \(terminal)") }
            if mode == "tty" || mode == "auto" {
                // The first event draws at once; which bar that is (a blob's or the failing build's) depends
                // on the order the concurrent steps start in.
                #expect(terminal.stderr.contains(Self.escape), "no bar was ever drawn: \(terminal)")
            } else {
                #expect(!terminal.stderr.contains(Self.escape), "\(terminal)")
            }
            let piped = try await ImagePatchCLI.run(arguments)
            #expect(piped.exitCode == 1, "\(piped)")
            // --progress tty draws even into a pipe: what a terminal would show of it.
            #expect(TerminalTail.lines(after: piped.stderrText).last?.hasPrefix("imagepatch: error: ") == true, "\(piped)")
            #expect(mode != "tty" || piped.stderrText.contains("\(Self.escape)[J"), "--progress tty draws even into a pipe: \(piped)")
        }
    }

    @Test(
        "contradictions are refused with one error line",
        arguments: [
            (["--quiet", "--verbose"], "--quiet cannot be used with --verbose"),
            (["--progress", "none", "-v"], "--progress none cannot be used with --verbose"),
            (["--quiet", "--progress", "tty"], "--quiet cannot be used with --progress tty"),
        ])
    func contradictions(flags: [String], message: String) async throws {
        try await TempDirectory.with("progress-flags") { scratch in
            let run = try await ImagePatchCLI.run(try await Self.patchArguments(scratch, flags))
            #expect(run.exitCode == 1, "\(run)")
            #expect(run.stderrLines == ["imagepatch: error: \(message)"], "\(run)")
            #expect(!FileManager.default.fileExists(atPath: scratch.appending("out")), "nothing written: \(run)")
        }
    }

    @Test("--progress and --quiet on fleet run, fleet plan and inspect", arguments: [["fleet", "run"], ["fleet", "plan"], ["inspect"]])
    func otherCommands(command: [String]) async throws {
        let help = try await ImagePatchCLI.run(command + ["--help"])
        #expect(help.stdoutText.contains("--progress <mode>"), "\(help)")
        #expect(help.stdoutText.contains("-q, --quiet"), "\(help)")
    }

    @Test("inspect --quiet drops the notices")
    func inspectQuiet() async throws {
        let fixtures = try await Fixtures.ready()
        // The app fixture's index holds an attestation manifest, which inspect notes on stderr.
        let loud = try await ImagePatchCLI.run(["inspect", fixtures.oci("app-oci", "1")])
        #expect(loud.succeeded, "\(loud)")
        let quiet = try await ImagePatchCLI.run(["inspect", "--quiet", fixtures.oci("app-oci", "1")])
        #expect(quiet.succeeded, "\(quiet)")
        #expect(quiet.stderrText.isEmpty, "\(quiet)")
        #expect(quiet.stdoutText == loud.stdoutText)
    }
}

/// Through a registry: a slow agent download keeps a bar on screen, so its byte counts are redrawn
/// (read by the display's 10-a-second timer) and Ctrl-C can land while it is shown.
@Suite("Progress display through a registry")
struct RegistryProgressTests {
    @Test("Ctrl-C while bars are shown: the bars are erased, the interrupt line is the last one", .timeLimit(.minutes(3)))
    func interrupted() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        // Hold the agent's layer downloads (not its configs, read before a build starts): the builds'
        // bars are on screen meanwhile.
        let agent = try await Fixtures.ready().summary.tag("agent-oci", "7")
        let layers = Set((agent.manifests ?? [:]).values.flatMap { $0.layers.map(\.digest) })
        try await proxy.arm(
            layers.map {
                ["match": ["method": "GET", "path_regex": "/v2/agent/blobs/\($0)$"], "action": "delay", "seconds": 30, "times": -1]
            })
        try await TempDirectory.with("progress-interrupt") { scratch in
            let run = try await PseudoTerminal.run(
                [
                    "patch", "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
                    "--target", "oci:\(scratch.appending("out")):p", "--cid", ImagePatchCLI.cid,
                ], interruptOn: "  agent layer ")
            #expect(run.status == 130, "\(run)")
            #expect(
                TerminalTail.lines(after: run.stderr) == ["imagepatch: interrupted; removing temporary files"], "\(run)")
        }
    }

    /// tty: a bar redrawn with its bytes (read by the display's timer) as they arrive. plain (CI
    /// set): the line a build still running gets every 10 s, with no escape sequence.
    @Test("a slow download is shown as it goes", .timeLimit(.minutes(3)), arguments: ["tty", "plain"])
    func slowTransfer(mode: String) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        // The amd64 agent's big layer (1.6 MiB) at 64 KiB a second: about 25 s of a build whose bytes
        // in grow as the download goes (it is verified in a private file before the build reads it).
        let agent = try await Fixtures.ready().summary.tag("agent-oci", "7")
        let layer = try #require(agent.manifests?["linux/amd64"]?.layers.max { $0.size < $1.size })
        try await proxy.arm([
            [
                "match": ["method": "GET", "path_regex": "/v2/agent/blobs/\(layer.digest)$"], "action": "trickle", "bytes": 65536,
                "times": 1,
            ]
        ])
        try await TempDirectory.with("progress-slow") { scratch in
            let run = try await PseudoTerminal.run(
                [
                    "patch", "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
                    "--target", "oci:\(scratch.appending("out")):p", "--cid", ImagePatchCLI.cid, "--platform", "linux/amd64",
                ], environment: ["CI": mode == "plain" ? "true" : nil])
            #expect(run.status == 0, "\(run)")
            // Caught mid-download: some bytes read, not all.
            let partial =
                mode == "tty"
                ? try Regex(#"  agent layer linux/amd64  \[=*>? *\]  read (?!0 B/)([0-9.]+ [KM]i?B)/([0-9.]+ MiB)"#)
                : try Regex(#"\nimagepatch: building the agent layer for linux/amd64: read (?!0 B )([0-9.]+ [KM]i?B) of ([0-9.]+ MiB)"#)
            let caught = run.stderr.matches(of: partial).contains { $0.output[1].substring != $0.output[2].substring }
            #expect(caught, "nothing showed a partial read: \(run)")
            #expect(mode == "tty" || !run.stderr.contains(ProgressTests.escape), "\(run)")
            ProgressTests.expectPlainLines(TerminalTail.lines(after: run.stderr), lastPrefix: "imagepatch: wrote oci:", run)
        }
    }
}
