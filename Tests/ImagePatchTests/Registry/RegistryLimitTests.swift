import Foundation
import Testing

/// Bounds on what the registry side of a run waits for and reads: a trickling registry, a
/// password piped from a source without end, the retry flag.
@Suite("Registry: time and size bounds")
struct RegistryLimitTests {
    /// A manifest answered at 1 byte per second: the small-object speed limit (1 KiB/s over 10 s,
    /// where blobs get 60 s) abandons that attempt and the retry gets it. The retry line quotes
    /// libcurl's reason, which names the window that fired; the time limit only guards against a
    /// hang, it measures nothing.
    @Test("a registry answering a manifest at 1 byte per second is abandoned and retried", .timeLimit(.minutes(5)))
    func tricklingManifest() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await proxy.arm([["match": ["method": "GET", "path_regex": "/v2/app/manifests/1$"], "action": "trickle", "times": 1]])
        let repository = uniqueRepository("limits/app")
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
            target: "\(proxy.host)/\(repository):1")
        #expect(run.succeeded, "\(run)")
        #expect(
            run.stderrText.contains("the last 10 seconds"), "the manifest was not abandoned by the small-object limit: \(run.stderrText)")
        // The proxy records the trickled request once its handler notices the client has gone.
        var injected = 0
        for _ in 0..<20 where injected == 0 {
            injected = (try await proxy.statistics()["faults_injected"] as? [Any])?.count ?? 0
            if injected == 0 { try await Task.sleep(nanoseconds: 500_000_000) }
        }
        #expect(injected == 1, "the manifest was never trickled")
    }

    @Test("--password-stdin reading /dev/zero stops at its limit with one error line")
    func passwordStdinBounded() async throws {
        let binary = try RepositoryPaths.binary()
        let run = try await ProcessRunner.run(
            "/bin/sh",
            [
                "-c", #"exec "$0" "$@" < /dev/zero"#, binary,
                "inspect", "127.0.0.1:9/app:1", "--creds", "tester", "--password-stdin",
            ])
        Expect.oneLineError(run, mentions: ["--password-stdin", "65536"])
    }

    @Test("--retry-times out of range is refused", arguments: ["-1", "101"])
    func retryTimesRange(value: String) async throws {
        let run = try await ImagePatchCLI.run(["inspect", "127.0.0.1:9/app:1", "--retry-times=\(value)"])
        Expect.oneLineError(run, mentions: ["--retry-times"])
    }
}
