import Foundation
import Testing

/// The agent-layer cache (`--cache-dir`) and deterministic output: the same inputs give the same
/// digest on every run, with or without the cache, and a damaged cache never changes the result.
@Suite("Agent layer cache and deterministic output")
struct AgentLayerCacheTests {
    struct Run {
        let result: [String: Any]
        let log: String
        var digest: String { result["digest"] as? String ?? "" }
        var layers: [String] {
            (result["platforms"] as? [[String: Any]] ?? []).compactMap { ($0["agentLayer"] as? [String: Any])?["digest"] as? String }
        }
    }

    static func patch(to target: String, cache: String, extra: [String] = []) async throws -> Run {
        let fixtures = try await Fixtures.ready()
        let run = try await ImagePatchCLI.patch(
            source: fixtures.oci("app-oci", "1"), agent: fixtures.oci("agent-oci", "7"),
            target: target, json: true, extra: ["--cache-dir", cache, "--verbose"] + extra)
        guard run.succeeded else { throw CommandFailed(result: run) }
        return Run(result: try Oracles.jsonObject(run.stdout), log: run.stderrText)
    }

    /// Cache entries: the directories under DIR/layers named by a 64-hex key.
    static func entries(_ cache: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/layers")) ?? []
        return names.filter { $0.count == 64 && !$0.hasPrefix(".") }.sorted()
    }

    @Test("the same inputs give the same digest without SOURCE_DATE_EPOCH; created is the later input's")
    func deterministicWithoutSourceDateEpoch() async throws {
        try await TempDirectory.with("deterministic") { tmp in
            let first = try await Self.patch(to: "oci:\(tmp.appending("a")):p", cache: tmp.appending("cache-a"))
            let second = try await Self.patch(to: "oci:\(tmp.appending("b")):p", cache: tmp.appending("cache-b"))
            #expect(first.digest == second.digest && first.digest.hasPrefix("sha256:"))
            let fixtures = try await Fixtures.ready()
            for arch in FixtureArch.allCases {
                let patched = try Self.created(
                    try await Oracles.skopeoConfigRaw("oci:\(tmp.appending("a")):p", overrideArch: arch.rawValue))
                let inputs = [
                    try Self.created(try await Oracles.skopeoConfigRaw(fixtures.oci("app-oci", "1"), overrideArch: arch.rawValue)),
                    try Self.created(try await Oracles.skopeoConfigRaw(fixtures.oci("agent-oci", "7"), overrideArch: arch.rawValue)),
                ]
                let expected = inputs.compactMap { $0.flatMap(Self.seconds) }.max() ?? 0
                #expect(patched.flatMap(Self.seconds) == expected, "\(arch): created \(patched ?? "none"), inputs \(inputs)")
            }
        }
    }

    @Test("a second run takes the layer from the cache, and gets the same image")
    func secondRunUsesTheCache() async throws {
        try await TempDirectory.with("cache-hit") { tmp in
            let cache = tmp.appending("cache")
            let cold = try await Self.patch(to: "oci:\(tmp.appending("a")):p", cache: cache)
            #expect(cold.log.contains("built the agent layer"))
            #expect(Self.entries(cache).count == 2, "one entry per agent platform: \(Self.entries(cache))")
            let warm = try await Self.patch(to: "oci:\(tmp.appending("b")):p", cache: cache)
            #expect(!warm.log.contains("built the agent layer"), "\(warm.log)")
            #expect(warm.log.contains("using the cached agent layer"))
            #expect(warm.digest == cold.digest && warm.layers == cold.layers)
            // The output is whole: skopeo copies it, which reads and verifies every blob.
            try await ProcessRunner.check("skopeo", ["copy", "--all", "oci:\(tmp.appending("b")):p", "oci:\(tmp.appending("copy")):p"])
        }
    }

    @Test("a damaged cache entry is detected, rebuilt, and never changes the image")
    func damagedEntryIsRebuilt() async throws {
        try await TempDirectory.with("cache-damaged") { tmp in
            let cache = tmp.appending("cache")
            let cold = try await Self.patch(to: "oci:\(tmp.appending("a")):p", cache: cache)
            for (index, key) in Self.entries(cache).enumerated() {
                let file = "\(cache)/layers/\(key)/layer.tar.gz"
                if index == 0 {
                    // One flipped byte in the middle: same size, other digest.
                    let handle = try #require(FileHandle(forUpdatingAtPath: file))
                    let size = try handle.seekToEnd()
                    try handle.seek(toOffset: size / 2)
                    let byte = try #require(try handle.read(upToCount: 1)).first!
                    try handle.seek(toOffset: size / 2)
                    try handle.write(contentsOf: [byte ^ 0xff])
                    try handle.close()
                } else {
                    #expect(truncate(file, 100) == 0)
                }
            }
            let repaired = try await Self.patch(to: "oci:\(tmp.appending("b")):p", cache: cache)
            #expect(repaired.log.components(separatedBy: "is not usable").count - 1 == 2, "\(repaired.log)")
            #expect(repaired.log.contains("built the agent layer"))
            #expect(repaired.digest == cold.digest)
            let again = try await Self.patch(to: "oci:\(tmp.appending("c")):p", cache: cache)
            #expect(!again.log.contains("built the agent layer") && !again.log.contains("is not usable"), "\(again.log)")
            #expect(again.digest == cold.digest)
        }
    }

    @Test("two processes filling one empty cache at once both succeed with the same image")
    func concurrentFill() async throws {
        try await TempDirectory.with("cache-concurrent") { tmp in
            let cache = tmp.appending("cache")
            async let first = Self.patch(to: "oci:\(tmp.appending("a")):p", cache: cache)
            async let second = Self.patch(to: "oci:\(tmp.appending("b")):p", cache: cache)
            let (a, b) = try await (first, second)
            #expect(a.digest == b.digest)
            #expect(Self.entries(cache).count == 2)
            let leftovers = (try FileManager.default.contentsOfDirectory(atPath: cache + "/layers")).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "staging directories left: \(leftovers)")
            let warm = try await Self.patch(to: "oci:\(tmp.appending("c")):p", cache: cache)
            #expect(!warm.log.contains("built the agent layer") && warm.digest == a.digest, "\(warm.log)")
        }
    }

    @Test("a full cache evicts the least recently used entries; a layer larger than --cache-max is not kept")
    func fullCacheEvicts() async throws {
        try await TempDirectory.with("cache-evict") { tmp in
            let cache = tmp.appending("cache")
            let first = try await Self.patch(to: "oci:\(tmp.appending("a")):p", cache: cache, extra: ["--platform", "linux/amd64"])
            let firstEntries = Self.entries(cache)
            #expect(firstEntries.count == 1)
            let size = try #require(
                try FileManager.default.attributesOfItem(atPath: "\(cache)/layers/\(firstEntries[0])/layer.tar.gz")[.size] as? Int)
            // Another install directory is another key; room for one layer and a half.
            let limit = String(size + size / 2)
            _ = try await Self.patch(
                to: "oci:\(tmp.appending("b")):p", cache: cache,
                extra: ["--platform", "linux/amd64", "--install-dir", "/opt/other", "--cache-max", limit])
            let secondEntries = Self.entries(cache)
            #expect(secondEntries.count == 1 && secondEntries != firstEntries, "the older entry was evicted: \(secondEntries)")
            #expect(!first.digest.isEmpty)

            let small = tmp.appending("small")
            let run = try await Self.patch(
                to: "oci:\(tmp.appending("c")):p", cache: small,
                extra: ["--platform", "linux/amd64", "--cache-max", String(size / 2)])
            #expect(Self.entries(small).isEmpty && run.log.contains("not caching"), "\(run.log)")
        }
    }

    @Test(
        "--no-cache with --cache-dir, and a bad --cache-max, are refused with one line",
        arguments: [
            ["--no-cache", "--cache-dir", "/tmp/x"], ["--cache-max", "lots"], ["--cache-dir", ""],
        ])
    func badCacheFlags(flags: [String]) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("cache-flags") { tmp in
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "1"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(tmp.appending("out")):p", extra: flags)
            Expect.oneLineError(run, mentions: [flags[0]])
            Expect.nothingWritten(at: tmp.appending("out"))
        }
    }

    static func created(_ config: Data) throws -> String? {
        (try JSONSerialization.jsonObject(with: config) as? [String: Any])?["created"] as? String
    }

    /// Whole seconds of an RFC 3339 time, by Foundation (not the code under test).
    static func seconds(_ text: String) -> Int? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970.rounded(.down)) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int($0.timeIntervalSince1970) }
    }
}
