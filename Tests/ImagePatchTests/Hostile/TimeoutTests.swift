import Foundation
import Testing

/// `--timeout` bounds the whole run: past it, the run ends with one error line, its temporary files
/// removed, and the target as it was.
@Suite("--timeout")
struct TimeoutTests {
    enum TargetKind: String, CaseIterable { case layout, registry }

    @Test("a run past --timeout stops with one error line, no target and no temporary file", arguments: TargetKind.allCases)
    func timedOut(kind: TargetKind) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        // Hold one agent blob download far longer than the timeout, so the deadline surely passes mid-run.
        try await proxy.arm([
            [
                "match": ["method": "GET", "path_regex": "/v2/agent/blobs/sha256:"], "action": "delay",
                "seconds": 30, "times": 1,
            ]
        ])
        try await TempDirectory.with("timeout") { scratch in
            let layout = scratch.appending("out")
            let repositoryTag = "timeout-\(getpid()):t"
            let target = kind == .layout ? "oci:\(layout):p" : "\(proxy.host)/\(repositoryTag)"
            let run = try await ImagePatchCLI.patch(
                source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7", target: target,
                extra: ["--timeout", "1.5s"], environment: ["TMPDIR": scratch.path])
            Expect.oneLineError(run, mentions: ["did not finish within --timeout 1.5s", "no tag of the target was changed"])
            let leftovers = try scratch.contents()
            #expect(leftovers.isEmpty, "left behind: \(leftovers)")
            if kind == .registry {
                let manifest = try await registry.rawManifest(repositoryTag)
                #expect(manifest == nil, "the target tag must not exist")
            }
        }
    }

    @Test("--timeout takes only a duration", arguments: ["0", "1e3", "ten", "１s", "5d", "400d"])
    func badDuration(text: String) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("bad-timeout") { tmp in
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "single"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p", extra: ["--timeout", text])
            Expect.oneLineError(run, mentions: ["--timeout"])
            Expect.nothingWritten(at: target)
        }
    }

    @Test(
        "--max-agent-size and --max-archive-size take only sizes",
        arguments: [
            ("--max-agent-size", "4 GiB"), ("--max-agent-size", "0"), ("--max-archive-size", "４G"), ("--max-archive-size", "2PiB"),
        ])
    func badSize(option: String, text: String) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("bad-size") { tmp in
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "single"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p", extra: [option, text])
            Expect.oneLineError(run, mentions: [option])
            Expect.nothingWritten(at: target)
        }
    }
}
