import Foundation
import Testing

/// `imagepatch fleet run` on the real registry: shards as concurrent processes (as Indexed Job pods
/// would run), then a rerun that finds every target up to date and pushes nothing.
@Suite("Fleet run")
struct FleetRunTests {
    /// A plan of `count` items, each patching app:1 (by digest) into a repository of its own.
    static func plan(host: String, count: Int, in tmp: TempDirectory) async throws -> (path: String, ids: [String], targets: [String]) {
        let registry = try await SharedRegistry.shared.plain()
        let app = sha256Digest(try #require(try await registry.rawManifest("app:1")))
        let agent = sha256Digest(try #require(try await registry.rawManifest("agent:7")))
        let prefix = uniqueRepository("fleet")
        var items: [[String: Any]] = []
        for index in 0..<count {
            var options: [String: Any] = ["cid": ImagePatchCLI.cid]
            if index % 2 == 1 { options["env"] = ["TEAM=web\(index)"] }
            items.append([
                "id": "item\(index)", "source": "\(host)/app@\(app)", "sourceTag": "\(host)/app:1",
                "agent": "\(host)/agent@\(agent)", "target": "\(host)/\(prefix)/svc\(index):1", "options": options,
            ])
        }
        let path = tmp.appending("plan.json")
        try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: path))
        return (path, items.map { $0["id"] as! String }, items.map { $0["target"] as! String })
    }

    static func results(_ run: ProcessResult) throws -> [[String: Any]] {
        try run.stdoutLines.map { try Oracles.jsonObject(Data($0.utf8)) }
    }

    @Test("three shards at once do every item exactly once; a rerun is up-to-date and uploads nothing")
    func shardsThenRerun() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await proxy.arm([])
        try await TempDirectory.with("fleet-run") { tmp in
            let plan = try await Self.plan(host: proxy.host, count: 7, in: tmp)
            let cache = tmp.appending("cache")
            async let shard0 = ImagePatchCLI.run(["fleet", "run", plan.path, "--shard", "0/3", "--cache-dir", cache])
            async let shard1 = ImagePatchCLI.run(["fleet", "run", plan.path, "--shard", "1/3", "--cache-dir", cache])
            async let shard2 = ImagePatchCLI.run(
                ["fleet", "run", plan.path, "--shard", "k8s", "--cache-dir", cache],
                environment: ["JOB_COMPLETION_INDEX": "2", "IMAGEPATCH_SHARD_COUNT": "3"])
            let shards = try await [shard0, shard1, shard2]
            var done: [String] = []
            for (index, shard) in shards.enumerated() {
                #expect(shard.succeeded, "\(shard)")
                let lines = try Self.results(shard)
                #expect(lines.count == (0..<7).filter { $0 % 3 == index }.count, "shard \(index): \(shard.stdoutText)")
                for line in lines {
                    done.append(line["id"] as? String ?? "")
                    #expect(line["status"] as? String == "patched", "\(line)")
                    let target = try #require(line["target"] as? String)
                    let repository = String(target.dropFirst(proxy.host.count + 1))
                    let pushed = try #require(try await registry.rawManifest(repository), "\(target) was not pushed")
                    #expect(line["digest"] as? String == sha256Digest(pushed))
                }
            }
            #expect(done.sorted() == plan.ids.sorted(), "each item once, and every item: \(done)")

            // The rerun, as a shard pod restarted after its work was done: nothing to push.
            try await proxy.arm([])
            let rerun = try await ImagePatchCLI.run(["fleet", "run", plan.path, "--cache-dir", cache, "--jobs", "3"])
            #expect(rerun.succeeded, "\(rerun)")
            let lines = try Self.results(rerun)
            #expect(lines.count == 7)
            #expect(lines.allSatisfy { $0["status"] as? String == "up-to-date" && $0["bytesUploaded"] as? Int == 0 }, "\(rerun.stdoutText)")
            let writes = try await proxy.requests().filter { ["PUT", "POST", "PATCH"].contains($0.method) }
            #expect(writes.isEmpty, "an up-to-date fleet wrote: \(writes)")

            // One item, by id.
            let one = try await ImagePatchCLI.run(["fleet", "run", plan.path, "--cache-dir", cache, "--item", "item3"])
            let oneIDs = try Self.results(one).map { $0["id"] as? String }
            #expect(one.succeeded && oneIDs == ["item3"], "\(one)")
        }
    }

    @Test("in one run, the agent layers are uploaded once; every other target on the registry mounts them")
    func agentLayersUploadedOnce() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        try await proxy.arm([])
        try await TempDirectory.with("fleet-mounts") { tmp in
            let plan = try await Self.plan(host: proxy.host, count: 4, in: tmp)
            let run = try await ImagePatchCLI.run(["fleet", "run", plan.path, "--jobs", "1"])
            #expect(run.succeeded, "\(run)")
            // The proxy logs paths without their query (where the digest of an upload is): count the
            // blob uploads per target repository. The first target gets the two agent layers and its
            // two configs; every later one only its two configs, the agent layers being mounted.
            let requests = try await proxy.requests()
            for (index, target) in plan.targets.enumerated() {
                let repository = String(target.dropFirst(proxy.host.count + 1)).split(separator: ":")[0]
                let uploads = requests.filter { $0.method == "PUT" && $0.path.hasPrefix("/v2/\(repository)/blobs/uploads/") }
                #expect(uploads.count == (index == 0 ? 4 : 2), "\(target): \(uploads.count) blob uploads")
            }
        }
    }

    @Test("a shard killed halfway, then run again: what it finished is up-to-date and uploads nothing")
    func killedShardRerun() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        defer { proxy.stop() }
        // Every manifest push held for 2 s, so that items take seconds and the kill lands halfway even when
        // a loaded machine takes seconds to notice the second item done.
        try await proxy.arm([["match": ["method": "PUT", "path_regex": "/manifests/"], "action": "delay", "seconds": 2, "times": -1]])
        try await TempDirectory.with("fleet-killed") { tmp in
            let plan = try await Self.plan(host: proxy.host, count: 6, in: tmp)
            let cache = try TempDirectory(label: "fleet-killed-cache")
            defer { cache.remove() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try RepositoryPaths.binary())
            process.arguments = ["fleet", "run", plan.path, "--jobs", "1", "--cache-dir", cache.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            func repository(_ target: String) -> String { String(target.dropFirst(proxy.host.count + 1)) }
            var done: [String] = []
            for _ in 0..<600 where done.count < 2 {
                try await Task.sleep(nanoseconds: 100_000_000)
                done = []
                for target in plan.targets where try await registry.rawManifest(repository(target)) != nil { done.append(target) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            done = []
            for target in plan.targets where try await registry.rawManifest(repository(target)) != nil { done.append(target) }
            #expect(done.count >= 2 && done.count < 6, "the shard was killed halfway: \(done.count) of 6 done")

            try await proxy.arm([])
            let rerun = try await ImagePatchCLI.run(["fleet", "run", plan.path, "--cache-dir", cache.path])
            #expect(rerun.succeeded, "\(rerun)")
            let lines = try Self.results(rerun)
            #expect(lines.count == 6)
            for line in lines {
                let target = line["target"] as? String ?? ""
                #expect(line["status"] as? String == (done.contains(target) ? "up-to-date" : "patched"), "\(line)")
            }
            let requests = try await proxy.requests()
            for target in done {
                let name = repository(target).split(separator: ":").first.map(String.init) ?? ""
                let writes = requests.filter { ["PUT", "POST", "PATCH"].contains($0.method) && $0.path.contains("/\(name)/") }
                #expect(writes.isEmpty, "\(target) was done before the kill, yet the rerun wrote: \(writes)")
            }
        }
    }

    @Test("a new agent digest re-patches every item from its source: one agent layer each, and skopeo and umoci accept them")
    func newAgentRepatchesFromSource() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let fixtures = try await Fixtures.ready()
        // The same agent with Docker media types: another manifest digest, so another agent release.
        let newAgent = uniqueRepository("agent-v2")
        try await ProcessRunner.check(
            "skopeo",
            [
                "copy", "--all", "--format", "v2s2", "--dest-tls-verify=false",
                fixtures.oci("agent-oci", "7"), "docker://\(registry.host)/\(newAgent):8",
            ])
        let newAgentDigest = sha256Digest(try #require(try await registry.rawManifest("\(newAgent):8")))
        try await TempDirectory.with("fleet-new-agent") { tmp in
            let plan = try await Self.plan(host: registry.host, count: 2, in: tmp)
            let first = try await ImagePatchCLI.run(["fleet", "run", plan.path])
            #expect(first.succeeded, "\(first)")
            var items = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan.path))) as? [[String: Any]])
            for index in items.indices { items[index]["agent"] = "\(registry.host)/\(newAgent)@\(newAgentDigest)" }
            try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: plan.path))
            let second = try await ImagePatchCLI.run(["fleet", "run", plan.path])
            #expect(second.succeeded, "\(second)")
            #expect(try Self.results(second).allSatisfy { $0["status"] as? String == "patched" }, "\(second.stdoutText)")
            for (index, target) in plan.targets.enumerated() {
                let reference = "docker://\(target)"
                for arch in FixtureArch.allCases {
                    let source = try fixtures.summary.manifest("app-oci", "1", platform: arch.appPlatformKey)
                    let raw = try await ProcessRunner.check(
                        "skopeo", ["inspect", "--tls-verify=false", "--override-arch", arch.rawValue, reference])
                    let layers = (try Oracles.jsonObject(raw.stdout)["Layers"] as? [String]) ?? []
                    #expect(layers.count == source.layers.count + 1, "\(target) \(arch): exactly one agent layer on the source's")
                    if index == 0 {
                        try await TempDirectory.with("fleet-umoci") { scratch in
                            try await Oracles.unpack(
                                reference: reference, bundle: scratch.appending("bundle"), arch: arch.rawValue,
                                extraSkopeoFlags: registry.skopeoFlags("src"))
                        }
                    }
                }
            }
        }
    }

    @Test("a failed item is reported with its error, the others still run, and the exit status is 1")
    func failedItemDoesNotStopOthers() async throws {
        let registry = try await SharedRegistry.shared.plain()
        try await TempDirectory.with("fleet-failed") { tmp in
            let plan = try await Self.plan(host: registry.host, count: 3, in: tmp)
            var items = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan.path))) as? [[String: Any]])
            items[1]["options"] = ["cid": ImagePatchCLI.cid, "dry-run": true]  // not an option a plan may set
            items[2]["options"] = ["cid": "not-a-cid"]
            try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: plan.path))
            let run = try await ImagePatchCLI.run(["fleet", "run", plan.path])
            #expect(run.exitCode == 1, "\(run)")
            let lines = try Self.results(run)
            let byID = Dictionary(uniqueKeysWithValues: lines.map { ($0["id"] as? String ?? "", $0) })
            #expect(byID["item0"]?["status"] as? String == "patched")
            #expect(byID["item1"]?["status"] as? String == "failed")
            let error1 = byID["item1"]?["error"] as? String ?? ""
            #expect(error1.contains("dry-run"), "\(error1)")
            #expect(byID["item2"]?["status"] as? String == "failed")
            let error2 = byID["item2"]?["error"] as? String ?? ""
            #expect(error2.contains("--cid"), "\(error2)")
            #expect(try await registry.rawManifest(String(plan.targets[1].dropFirst(registry.host.count + 1))) == nil)
        }
    }

    @Test(
        "bad --shard values are refused with one line",
        arguments: [["--shard", "3/3"], ["--shard", "1"], ["--shard", "k8s"], ["--shard=-1/2"]])
    func badShard(arguments: [String]) async throws {
        try await TempDirectory.with("fleet-shard") { tmp in
            let path = tmp.appending("plan.json")
            try Data("[]".utf8).write(to: URL(fileURLWithPath: path))
            let run = try await ImagePatchCLI.run(["fleet", "run", path] + arguments, environment: ["JOB_COMPLETION_INDEX": nil])
            Expect.oneLineError(run, mentions: ["--shard"])
        }
    }
}
