import Foundation
import Testing

/// Ctrl-C in a terminal, or SIGTERM from a CI runner that gives up: the run stops, and what it was
/// writing disappears with it.
@Suite("Interrupted runs")
struct InterruptTests {
    @Test("SIGINT mid-run exits 130 and leaves no staging directory or temporary file", arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        // Hold every agent blob download (configs included) for a long time, so the run is surely in
        // progress when signalled: one held request could be a config, abandoned and retried after 10 s.
        try await proxy.arm([
            [
                "match": ["method": "GET", "path_regex": "/v2/agent/blobs/sha256:"], "action": "delay",
                "seconds": 30, "times": -1,
            ]
        ])
        try await TempDirectory.with("interrupt") { scratch in
            let target = scratch.appending("out")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try RepositoryPaths.binary())
            process.arguments = [
                "patch", "--source", "\(proxy.host)/app:1", "--agent", "\(proxy.host)/agent:7",
                "--target", "oci:\(target):p", "--cid", ImagePatchCLI.cid,
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = scratch.path  // so leftovers, if any, would be found here
            let cache = try TempDirectory(label: "interrupt-cache")  // the agent-layer cache, outside TMPDIR
            defer { cache.remove() }
            environment["XDG_CACHE_HOME"] = cache.path
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()

            // Wait (bounded) until the run has staged its output, then give it time to reach the held download.
            var staged = false
            for _ in 0..<100 where !staged {
                try await Task.sleep(nanoseconds: 100_000_000)
                staged = (try scratch.contents()).contains { $0.hasPrefix(".imagepatch-") }
            }
            #expect(staged, "the run never staged its output")
            try await Task.sleep(nanoseconds: 1_000_000_000)
            #expect(process.isRunning, "the run should still be waiting for the held download")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(process.terminationStatus == 128 + signal)
            let leftovers = try scratch.contents()
            #expect(leftovers.isEmpty, "left behind: \(leftovers)")
        }
    }
}
