import Fleet
import JSON
import OCI
import Testing

@Suite("Fleet: planning")
struct FleetPlannerTests {
    static let registry = InMemoryRegistry([
        "r.example/agent": ["7", "8"],
        "r.example/web": ["1.2.0", "1.10.0", "1.9.3", "v1.11.0", "2.0.0-rc.1", "2.0.0-beta.2", "2.0.0", "latest", "stable", "nightly"],
        "r.example/worker": ["7", "7.1", "edge"],
    ])

    static func plan(_ text: String, registry: InMemoryRegistry = registry) async throws -> FleetPlan {
        try await FleetPlanner(registry: registry, width: 3).plan(try fleetFile(text))
    }

    static func planError(_ text: String, registry: InMemoryRegistry = registry) async -> String? {
        do {
            _ = try await plan(text, registry: registry)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let header = "agent: r.example/agent:7\ntarget: 'r.example/{repository}-p:{tag}'\nimages:\n"

    @Test(
        "tags, match and latest choose exactly what the rules say",
        arguments: [
            ("  - source: r.example/web\n    latest: 3", ["2.0.0", "2.0.0-rc.1", "2.0.0-beta.2"]),
            ("  - source: r.example/web\n    match: '^v?[0-9]+\\.[0-9]+\\.[0-9]+$'\n    latest: 2", ["2.0.0", "v1.11.0"]),
            ("  - source: r.example/web\n    match: '^1\\.'", ["1.10.0", "1.9.3", "1.2.0"]),
            ("  - source: r.example/web\n    tags: [stable, 1.2.0]", ["1.2.0", "stable"]),
            ("  - source: r.example/web\n    tags: [nightly]\n    match: '^2\\.0\\.0-'", ["2.0.0-rc.1", "2.0.0-beta.2", "nightly"]),
            ("  - source: r.example/web\n    tags: [stable, 1.2.0, 1.10.0]\n    latest: 1", ["1.10.0"]),
            ("  - source: r.example/worker:edge", ["edge"]),
            ("  - source: r.example/web\n    tags: [stable]\n    match: nomatch", ["stable"]),
            ("  - source: r.example/worker\n    latest: 5", ["7.1", "7"]),
        ])
    func selection(entry: String, expected: [String]) async throws {
        let plan = try await Self.plan(Self.header + entry)
        #expect(plan.items.map { String($0.sourceTag.split(separator: ":").last!) } == expected)
        for item in plan.items {
            let tag = String(item.sourceTag.split(separator: ":").last!)
            #expect(
                item.source
                    == "r.example/\(item.sourceTag.hasPrefix("r.example/web") ? "web" : "worker")@\(InMemoryRegistry.digest(for: tag))")
            #expect(item.agent == "r.example/agent@\(InMemoryRegistry.digest(for: "7"))")
        }
    }

    @Test("an item: pinned source and agent, rendered target, merged options, in this key order")
    func itemShape() async throws {
        let plan = try await Self.plan(
            """
            agent: r.example/agent:8
            options: {cid: ABC-1, platform: linux/amd64}
            target: '{registry}/{repository}-p:{tag}'
            images:
              - source: r.example/worker:7
                target: 'other.example/team/{repository}:{tag}-x'
                options: {platform: [linux/arm64]}
            """)
        let item = try #require(plan.items.first)
        #expect(
            String(decoding: plan.json.serialized(), as: UTF8.self) == """
                [{"id":"\(item.id)","source":"r.example/worker@\(InMemoryRegistry.digest(for: "7"))","sourceTag":"r.example/worker:7",\
                "agent":"r.example/agent@\(InMemoryRegistry.digest(for: "8"))","target":"other.example/team/worker:7-x",\
                "options":{"cid":"ABC-1","platform":["linux/arm64"]}}]
                """)
        #expect(item.id == FleetPlanItem.id(sourceTag: "r.example/worker:7", target: "other.example/team/worker:7-x"))
        #expect(item.id.count == 16 && item.id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // Read back as fleet run will.
        #expect(try FleetPlan(bytes: plan.json.serialized(), file: "plan.json") == plan)
    }

    @Test("ids are stable across runs and do not depend on digests")
    func stableIds() async throws {
        let text = Self.header + "  - source: r.example/web\n    latest: 4\n  - source: r.example/worker:7"
        let first = try await Self.plan(text)
        var moved = Self.registry
        moved.repositories["r.example/web"] = Self.registry.repositories["r.example/web"]!.map {
            ($0.tag, Digest.sha256(of: Array("new \($0.tag)".utf8)))
        }
        moved.repositories["r.example/agent"] = [("7", Digest.sha256(of: Array("new agent".utf8)))]
        let second = try await Self.plan(text, registry: moved)
        #expect(first.items.map(\.id) == second.items.map(\.id))
        #expect(first.items.map(\.source) != second.items.map(\.source))
        #expect(Set(first.items.map(\.id)).count == first.items.count)
    }

    @Test(
        "planning errors name the entry",
        arguments: [
            (
                "  - source: r.example/web:1.2.0\n  - source: r.example/web\n    tags: [1.2.0]",
                "fleet.yaml: images[1]: r.example/web:1.2.0 and r.example/web:1.2.0 (images[0]) would both be written to r.example/web-p:1.2.0"
            ),
            (
                "  - source: r.example/web\n    match: '^9\\.'",
                "fleet.yaml: images[0]: r.example/web: selects no tag (the repository has 10 tags)"
            ),
            (
                "  - source: r.example/web\n    tags: [gone]\n    match: '^1'",
                #"fleet.yaml: images[0]: r.example/web: tag "gone" is not in the repository"#
            ),
            (
                "  - source: r.example/web\n    tags: [latest, stable]\n    latest: 1",
                "fleet.yaml: images[0]: r.example/web: selects no tag: none of the 2 candidate tags is a semantic version, which latest needs"
            ),
            (
                "  - source: r.example/worker:7\n  - source: r.example/down\n    latest: 1",
                "fleet.yaml: images[1]: cannot list the tags of r.example/down: connection refused"
            ),
            ("  - source: r.example/worker:8", "fleet.yaml: images[0]: r.example/worker:8: manifest unknown"),
            ("  - source: r.example/worker\n    tags: ['9']", "fleet.yaml: images[0]: r.example/worker:9: manifest unknown"),
            (
                "  - source: r.example/worker:7\n    target: 'r.example/{repository}:{tag}!'",
                #"fleet.yaml: images[0].target: for r.example/worker:7: renders "r.example/worker:7!", which is not an image reference: invalid image reference "r.example/worker:7!": "7!" is not a valid tag (letters, digits, _ . -, at most 128)"#
            ),
        ])
    func errors(entries: String, expected: String) async {
        let registry = InMemoryRegistry(Self.registry.repositories.mapValues { $0.map(\.tag) }, unreachable: ["r.example/down"])
        #expect(await Self.planError(Self.header + entries, registry: registry) == expected)
    }

    @Test("the agent's tag must resolve")
    func agentError() async {
        #expect(
            await Self.planError("agent: r.example/agent:9\ntarget: 'r.example/x:{tag}'\nimages: [{source: r.example/worker:7}]")
                == "fleet.yaml: agent: r.example/agent:9: manifest unknown")
    }

    @Test(
        "a plan file that is not one is refused with the item named",
        arguments: [
            (#"{"a":1}"#, "plan.json: is not a plan: it is an object, not an array"),
            (#"[{"id":"x"}]"#, "plan.json: [0].source: is missing or not a string"),
            (
                #"[{"id":"x","source":"r.example/a:1","sourceTag":"r.example/a:1","agent":"r.example/b:1","target":"r.example/c:1","options":{}}]"#,
                #"plan.json: [0].source: "r.example/a:1" is not an image reference pinned by digest"#
            ),
        ])
    func badPlan(text: String, expected: String) {
        do {
            _ = try FleetPlan(bytes: Array(text.utf8), file: "plan.json")
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)" == expected)
        }
    }
}
