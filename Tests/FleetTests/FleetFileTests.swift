import Fleet
import JSON
import OCI
import Testing

@Suite("Fleet: reading fleet files")
struct FleetFileTests {
    static let example = """
        agent: registry.example.com/falcon/falcon-sensor:7.18
        options:
          cid: 0123456789ABCDEF0123456789ABCDEF-12
          preset: falcon
          platform: [linux/amd64, linux/arm64]
        target: "{registry}/{repository}-falcon:{tag}"
        images:
          - source: registry.example.com/shop/worker:7
          - source: registry.example.com/shop/web
            tags: ["3.1", "3.2"]
            match: '^v?[0-9]+\\.[0-9]+\\.[0-9]+$'
            latest: 3
            target: "other.example.com/{repository}:{tag}"
            options: {env: ["TEAM=web"], preset: none}
        """

    @Test("the issue's example reads as written")
    func example() throws {
        let fleet = try fleetFile(Self.example)
        #expect(fleet.agent.description == "registry.example.com/falcon/falcon-sensor:7.18")
        #expect(fleet.images.count == 2)
        #expect(fleet.images[0].selection == nil)
        #expect(fleet.images[0].target.text == "{registry}/{repository}-falcon:{tag}")
        let web = fleet.images[1]
        #expect(web.selection?.tags == ["3.1", "3.2"])
        #expect(web.selection?.latest == 3)
        #expect(web.target.text == "other.example.com/{repository}:{tag}")
        // The entry's preset replaces the file's in place; env, only the entry's, comes last.
        #expect(
            String(decoding: JSONValue.object(web.options).serialized(), as: UTF8.self)
                == #"{"cid":"0123456789ABCDEF0123456789ABCDEF-12","preset":"none","platform":["linux/amd64","linux/arm64"],"env":["TEAM=web"]}"#
        )
    }

    @Test("JSON is read too, and scalars keep their text (1.10 is not 1.1, 0123 keeps its zero)")
    func jsonAndScalars() throws {
        let fleet = try fleetFile(
            #"""
            {"agent": "reg.example/agent@sha256:\#(String(repeating: "a", count: 64))",
             "options": {"cid": 0123, "repatch": true, "launcher": ["/agent/run", "--flag"]},
             "target": "reg.example/{repository}:{tag}-p",
             "images": [{"source": "reg.example/app", "tags": [1.10, no, 3]}]}
            """#, name: "fleet.json")
        #expect(fleet.images[0].selection?.tags == ["1.10", "no", "3"])
        #expect(fleet.options["cid"] == .string("0123"))
        #expect(fleet.options["repatch"] == .bool(true))
        #expect(fleet.options["launcher"] == .string(#"["/agent/run","--flag"]"#))
    }

    @Test(
        "errors name the file, the entry and the field",
        arguments: [
            (
                "agent: a.example/x:1\nimages: []\ntarget: 'a.example/{repository}:{tag}'",
                "fleet.yaml: images: is empty: list at least one image"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/x:1\n  - source: a.example/y\n    match: '(['",
                #"fleet.yaml: images[1].match: "([" is not a valid regular expression"#
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/x:1\n    tagz: [1]",
                "fleet.yaml: images[0].tagz: unknown key; an image has source, tags, match, latest, target, options"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimage: []",
                "fleet.yaml: image: unknown key; a fleet file has agent, options, target, images"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y\n    latest: 0",
                "fleet.yaml: images[0].latest: must be a whole number from 1 to 100000"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y\n    latest: three",
                "fleet.yaml: images[0].latest: must be a whole number from 1 to 100000"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y\n    tags: 3.1",
                "fleet.yaml: images[0].tags: is a single value, not a list"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y",
                #"fleet.yaml: images[0].source: "a.example/y" names a repository without a tag; name a tag (REPO:TAG) or choose tags with tags, match or latest"#
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    latest: 2",
                #"fleet.yaml: images[0].latest: chooses tags, but the source "a.example/y:1" already names one image; drop its tag or digest to choose from the repository"#
            ),
            (
                "agent: a.example/x:1\nimages:\n  - source: a.example/y:1",
                "fleet.yaml: images[0].target: is missing, and the file has no default target template"
            ),
            (
                "agent: a.example/x:1\ntarget: '{registry}/{repo}:{tag}'\nimages:\n  - source: a.example/y:1",
                "fleet.yaml: target: unknown template variable {repo}; the variables are {registry}, {repository} and {tag}"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    target: '{tag'",
                #"fleet.yaml: images[0].target: has a "{" without its "}""#
            ),
            (
                "agent: a.example/x:1\ntarget: t\noptions: {cdi: x}\nimages:\n  - source: a.example/y:1",
                "fleet.yaml: options.cdi: unknown option; the options are agent-root, cid, cloud-service, container, container-group, env, falconctl-opts, image-pull-policy, include, install-dir, label, launcher, max-agent-size, platform, preset, repatch, resource-group, subscription"
            ),
            (
                "agent: a.example/x:1\ntarget: t\noptions: {--cid: x}\nimages:\n  - source: a.example/y:1",
                "fleet.yaml: options.--cid: unknown option; write option names without dashes (cid)"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    options: {creds: 'u:p'}",
                "fleet.yaml: images[0].options.creds: is a credential; credentials never go in a fleet file or a plan, give them to fleet plan and fleet run"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    options: {repatch: yes}",
                "fleet.yaml: images[0].options.repatch: must be true or false"
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    options: {platform: [linux]}",
                #"fleet.yaml: images[0].options.platform[0]: "linux" is not a platform (expected os/arch[/variant], e.g. linux/arm64/v8)"#
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y:1\n    options: {env: [NOEQUALS]}",
                #"fleet.yaml: images[0].options.env[0]: "NOEQUALS" is not KEY=VALUE"#
            ),
            (
                "agent: oci:./agent:7\ntarget: t\nimages:\n  - source: a.example/y:1",
                #"fleet.yaml: agent: "oci:./agent:7" is a local image; a fleet names registry images"#
            ),
            ("target: t\nimages:\n  - source: a.example/y:1", "fleet.yaml: agent: is missing: name the agent image"),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: A.example/Y:1",
                #"fleet.yaml: images[0].source: invalid image reference "A.example/Y:1": the repository name must be lowercase letters, digits and separators (. _ - /)"#
            ),
            (
                "agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y\n    tags: ['bad tag']",
                #"fleet.yaml: images[0].tags[0]: "bad tag" is not a valid tag (letters, digits, _ . -, at most 128)"#
            ),
            (
                "agent: a.example/x:1\nagent: a.example/x:2\ntarget: t\nimages: [{source: a.example/y:1}]",
                "fleet.yaml: agent: is given twice"
            ),
            (
                "agent: a.example/x:1\ntarget: '{registry}/{repository}:{tag}'\nimages:\n  - source: a.example/y@sha256:\(String(repeating: "b", count: 64))",
                "fleet.yaml: images[0].source: the target template uses {tag}, but the source is named by digest only"
            ),
            ("- just\n- a list", "fleet.yaml: is a list, not a mapping with agent, target and images"),
            ("", "fleet.yaml: is empty"),
            (
                "agent: [unclosed",
                "fleet.yaml: is not valid YAML or JSON: while parsing a flow sequence at line 1, column 8, did not find expected ',' or ']' at line 2, column 1"
            ),
        ])
    func errors(text: String, expected: String) {
        #expect(parseError(text) == expected)
    }

    @Test("an alias bomb stops after a bounded amount of work")
    func aliasBomb() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...8 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("agent: a.example/x:1\ntarget: t\nimages:\n  - source: a.example/y\n    tags: *a8")
        #expect(parseError(lines.joined(separator: "\n"))?.contains("expands to more than 4000000 values") == true)
    }

    @Test(
        "deep nesting is refused before it is parsed, quickly",
        arguments: [
            (
                "agent: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                "fleet.yaml:1: nests its brackets deeper than 64 levels; a fleet file has four"
            ),
            // Closers hidden in strings do not hide openers.
            (
                "agent: " + String(repeating: "[ \"]]\", ", count: 100) + "x" + String(repeating: "]", count: 100),
                "fleet.yaml:1: nests its brackets deeper than 64 levels; a fleet file has four"
            ),
            (
                "# ]]]]\n" + String(repeating: "- ", count: 1_000_000) + "x",
                "fleet.yaml:2: nests its entries on one line deeper than 64 levels; a fleet file has four"
            ),
            (
                "agent:\n" + (0..<40).map { String(repeating: " ", count: $0 * 2) + "- " }.joined(separator: "\n") + "x",
                "fleet.yaml: agent[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nests deeper than 16 levels; a fleet file has four"
            ),
        ])
    func deepNesting(text: String, expected: String) {
        let started = ContinuousClock.now
        #expect(parseError(text) == expected)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("brackets in quoted strings and comments do not count as nesting")
    func bracketsInStrings() throws {
        let fleet = try fleetFile(
            """
            agent: a.example/x:1   # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
            target: "a.example/{repository}:{tag}"
            images:
              - source: a.example/y
                match: '^v?\(String(repeating: "\\[", count: 100))x'
            """)
        #expect(fleet.images[0].selection?.match != nil)
    }

    @Test("size and UTF-8 are checked first")
    func sizeAndEncoding() {
        #expect((try? FleetFile(bytes: Array(repeating: UInt8(ascii: " "), count: FleetFile.maxBytes + 1), file: "f")) == nil)
        do {
            _ = try FleetFile(bytes: [0xff, 0xfe], file: "f.yaml")
            Issue.record("accepted non-UTF-8")
        } catch {
            #expect("\(error)" == "f.yaml: is not UTF-8 text")
        }
    }
}
