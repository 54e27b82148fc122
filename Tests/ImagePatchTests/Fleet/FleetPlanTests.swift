import Foundation
import Testing

/// `imagepatch fleet plan` and `fleet summarize` through the real binary, against the real
/// distribution registry, checked with skopeo: the plan holds exactly the tags the rules choose,
/// each pinned to the digest skopeo reads for it.
@Suite("Fleet: plan and summarize through the binary")
struct FleetPlanTests {
    /// tag -> the image pushed under it: several distinct images, so a digest swapped between tags shows.
    static func images(_ fixtures: Fixtures) -> [String] {
        [
            fixtures.oci("app-oci", "1"), fixtures.oci("app-oci", "single"), fixtures.oci("app-oci", "cmd-only"),
            fixtures.oci("app-oci", "no-entrypoint"),
        ]
    }

    static let web = ["1.2.0", "1.10.0", "1.9.3", "v1.11.0", "2.0.0-rc.1", "2.0.0-beta.2", "2.0.0", "latest", "stable", "nightly-7"]
    static let api = ["3.1", "3.2", "3.10", "edge"]  // Docker family
    static let job = ["0.9.0", "1.0.0", "1.0.1", "1.1.0-alpha", "1.1.0-alpha.1"]

    /// A registry of its own (so its tag lists hold only what this test pushed) with the fleet pushed.
    static func fleetRegistry(_ body: (RegistryServer) async throws -> Void) async throws {
        let fixtures = try await Fixtures.ready()
        let registry = try await RegistryServer.start(.plain, label: "fleet-plan")
        do {
            let images = Self.images(fixtures)
            for (index, tag) in web.enumerated() { try await registry.push(layout: images[index % images.count], as: "fleet/web:\(tag)") }
            for (index, tag) in job.enumerated() {
                try await registry.push(layout: images[(index + 1) % images.count], as: "fleet/job:\(tag)")
            }
            for tag in api {
                try await ProcessRunner.check(
                    "skopeo",
                    ["copy", "-q"] + registry.skopeoFlags("dest")
                        + ["docker-archive:\(fixtures.appDockerTar)", "docker://\(registry.host)/fleet/api:\(tag)"])
            }
            try await registry.push(layout: images[2], as: "fleet/worker:7")
            try await registry.push(layout: fixtures.oci("agent-oci", "7"), as: "falcon/sensor:7.18")
            try await body(registry)
        } catch {
            await registry.stop()
            throw error
        }
        await registry.stop()
    }

    @Test("plan picks exactly the tags the rules choose, pinned to the digests skopeo reads")
    func plan() async throws {
        try await Self.fleetRegistry { registry in
            try await TempDirectory.with("fleet-plan") { scratch in
                let host = registry.host
                let file = scratch.appending("fleet.yaml")
                try """
                agent: \(host)/falcon/sensor:7.18
                options:
                  cid: \(ImagePatchCLI.cid)
                  platform: [linux/amd64, linux/arm64]
                target: "{registry}/{repository}-falcon:{tag}"
                images:
                  - source: \(host)/fleet/worker:7
                  - source: \(host)/fleet/web
                    match: '^v?[0-9]+\\.[0-9]+\\.[0-9]+'
                    latest: 4
                    options: {env: ["TEAM=web"]}
                  - source: \(host)/fleet/api
                    tags: ["3.1", "3.2"]
                    match: '^3\\.1'
                    target: "\(host)/protected/{repository}:{tag}"
                  - source: \(host)/fleet/job
                    latest: 3
                """.write(toFile: file, atomically: true, encoding: .utf8)
                let run = try await ImagePatchCLI.run(["fleet", "plan", file, "--tags-page-size", "2"])
                #expect(run.succeeded, "\(run)")
                let items = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [[String: Any]])
                let expected: [(repository: String, tag: String, target: String)] =
                    [("fleet/worker", "7", "\(host)/fleet/worker-falcon:7")]
                    + ["2.0.0", "2.0.0-rc.1", "2.0.0-beta.2", "v1.11.0"].map { ("fleet/web", $0, "\(host)/fleet/web-falcon:\($0)") }
                    + ["3.10", "3.2", "3.1"].map { ("fleet/api", $0, "\(host)/protected/fleet/api:\($0)") }
                    + ["1.1.0-alpha.1", "1.1.0-alpha", "1.0.1"].map { ("fleet/job", $0, "\(host)/fleet/job-falcon:\($0)") }
                #expect(items.map { $0["sourceTag"] as? String } == expected.map { "\(host)/\($0.repository):\($0.tag)" })
                #expect(items.map { $0["target"] as? String } == expected.map(\.target))

                let agentDigest = sha256Digest(try #require(try await registry.rawManifest("falcon/sensor:7.18")))
                for (item, want) in zip(items, expected) {
                    let digest = sha256Digest(try #require(try await registry.rawManifest("\(want.repository):\(want.tag)")))
                    #expect(item["source"] as? String == "\(host)/\(want.repository)@\(digest)", "\(want)")
                    #expect(item["agent"] as? String == "\(host)/falcon/sensor@\(agentDigest)")
                    #expect(
                        Array((item as NSDictionary).allKeys as! [String]).sorted() == [
                            "agent", "id", "options", "source", "sourceTag", "target",
                        ])
                    let options = try #require(item["options"] as? [String: Any])
                    #expect(options["cid"] as? String == ImagePatchCLI.cid)
                    #expect(options["env"] as? [String] == (want.repository == "fleet/web" ? ["TEAM=web"] : nil))
                }
                // Pre-releases of 1.1.0 are newer than 1.0.1, older than 1.1.0 would be (semver 2.0.0 §11).
                // The pushes made distinct images, so the digests above tell tags apart.
                #expect(Set(items.compactMap { $0["source"] as? String }).count > 3)
                #expect(Set(items.compactMap { $0["id"] as? String }).count == items.count)

                // Planning again gives the same plan, byte for byte (ids included).
                let again = try await ImagePatchCLI.run(["fleet", "plan", file])
                #expect(again.stdout == run.stdout, "\(again)")
            }
        }
    }

    @Test("a repository that is not there is one error line naming the entry")
    func unreachableRepository() async throws {
        let registry = try await SharedRegistry.shared.plain()
        try await TempDirectory.with("fleet-plan-missing") { scratch in
            let file = scratch.appending("fleet.json")
            try """
            {"agent": "\(registry.host)/agent:7", "target": "\(registry.host)/{repository}-p:{tag}",
             "images": [{"source": "\(registry.host)/app:1"}, {"source": "\(registry.host)/no/such-repository", "latest": 1}]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let run = try await ImagePatchCLI.run(["fleet", "plan", file])
            #expect(run.exitCode == 1)
            #expect(run.stdout.isEmpty)
            #expect(
                run.stderrLines.last?.hasPrefix(
                    "imagepatch: error: \(file): images[1]: cannot list the tags of \(registry.host)/no/such-repository: repository \(registry.host)/no/such-repository"
                ) == true, "\(run)")
            #expect(run.stderrLines.last?.contains("404") == true, "\(run)")
        }
    }

    @Test("summarize folds the shards' lines into a table and JSON; a bad line names file:line")
    func summarize() async throws {
        try await TempDirectory.with("fleet-summarize") { scratch in
            let digest = "sha256:" + String(repeating: "ab", count: 32)
            func line(_ id: String, _ status: String, bytes: Int, seconds: String, error: String? = nil) -> String {
                var object: [String: Any] = [
                    "id": id, "source": "r.example/a@\(digest)", "target": "r.example/a-p:\(id)", "status": status,
                    "digest": status == "failed" ? NSNull() : digest, "bytesUploaded": bytes,
                ]
                if let error { object["error"] = error }
                let text = String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                return String(text.dropLast()) + #","seconds":\#(seconds)}"#
            }
            let shard0 = scratch.appending("shard-0.jsonl")
            let shard1 = scratch.appending("shard-1.jsonl")
            try [
                line("a", "patched", bytes: 2048, seconds: "1.5"),
                line("b", "failed", bytes: 0, seconds: "0.5", error: "r.example refused it"),
            ]
            .joined(separator: "\n").write(toFile: shard0, atomically: true, encoding: .utf8)
            try
                ([line("c", "up-to-date", bytes: 0, seconds: "0.25"), line("b", "patched", bytes: 1024, seconds: "2")].joined(
                    separator: "\n") + "\n")
                .write(toFile: shard1, atomically: true, encoding: .utf8)

            let json = try await ImagePatchCLI.run(["fleet", "summarize", shard0, shard1, "--json"])
            #expect(json.succeeded, "\(json)")
            let summary = try Oracles.jsonObject(json.stdout)
            #expect(summary["items"] as? Int == 3 && summary["lines"] as? Int == 4)
            #expect(summary["counts"] as? [String: Int] == ["patched": 2, "up-to-date": 1, "failed": 0])
            #expect(summary["bytesUploaded"] as? Int == 3072)
            #expect((summary["failures"] as? [Any])?.isEmpty == true)

            let table = try await ImagePatchCLI.run(["fleet", "summarize", shard0])
            #expect(table.succeeded, "\(table)")
            #expect(table.stdoutLines.contains("failed      1"), "\(table)")
            #expect(
                table.stdoutLines.contains { $0.contains("b  r.example/a@\(digest) -> r.example/a-p:b: r.example refused it") }, "\(table)")

            let bad = scratch.appending("bad.jsonl")
            try (line("a", "patched", bytes: 1, seconds: "1") + "\n{\"id\":\"x\"}\n").write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await ImagePatchCLI.run(["fleet", "summarize", shard0, bad])
            #expect(refused.exitCode == 1)
            #expect(
                refused.stderrLines.last == "imagepatch: error: \(bad):2: is not a result line: source is missing or not a string",
                "\(refused)")
        }
    }
}
