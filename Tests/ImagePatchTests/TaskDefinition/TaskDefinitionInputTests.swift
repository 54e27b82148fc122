import Foundation
import Testing

/// What `taskdef` reads: the forms AWS prints, bad input, and the read-only fields it strips.
@Suite("taskdef: input and output")
struct TaskDefinitionInputTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        let label: String
        let text: String
        let mentions: [String]
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        BadInput(label: "truncated JSON", text: #"{"family": "x", "containerDefinitions": ["#, mentions: ["not valid JSON", "line 1"]),
        BadInput(label: "trailing garbage", text: #"{"family": "x"} x"#, mentions: ["not valid JSON"]),
        BadInput(label: "empty input", text: "", mentions: ["not valid JSON"]),
        BadInput(label: "an array", text: #"[{"family": "x"}]"#, mentions: ["must be a JSON object", "an array"]),
        BadInput(label: "a string", text: #""family""#, mentions: ["must be a JSON object", "a string"]),
        BadInput(label: "a number", text: "42", mentions: ["must be a JSON object", "a number"]),
        BadInput(label: "wrapped non-object", text: #"{"taskDefinition": [1]}"#, mentions: ["taskDefinition", "an array"]),
        BadInput(label: "no containers", text: #"{"family": "x"}"#, mentions: ["containerDefinitions", "missing"]),
        BadInput(
            label: "container not an object", text: #"{"family": "x", "containerDefinitions": ["app"]}"#,
            mentions: ["containerDefinitions[0]", "object"]),
        BadInput(
            label: "unnamed container", text: #"{"family": "x", "containerDefinitions": [{"image": "a"}]}"#,
            mentions: ["containerDefinitions[0].name"]),
        BadInput(
            label: "duplicate names",
            text: #"{"family": "x", "containerDefinitions": [{"name": "a", "entryPoint": ["x"]}, {"name": "a", "entryPoint": ["y"]}]}"#,
            mentions: ["two containers named \"a\""]),
        BadInput(
            label: "entryPoint not strings",
            text: #"{"family": "x", "containerDefinitions": [{"name": "a", "image": "i", "entryPoint": "sh -c"}]}"#,
            mentions: ["entryPoint of container \"a\"", "array of strings"]),
    ]

    @Test("bad input: one error line, non-zero exit, no output file", arguments: badInputs)
    func rejected(_ input: BadInput) async throws {
        try await Self.expectRejected(input)
    }

    /// From a file (with --output) and from stdin: refused with one error line, nothing written.
    static func expectRejected(_ input: BadInput) async throws {
        try await TempDirectory.with("taskdef-bad") { tmp in
            let file = tmp.appending("in.json")
            try Data(input.text.utf8).write(to: URL(fileURLWithPath: file))
            let output = tmp.appending("out.json")
            let run = try await Taskdef.falcon([file, "--output", output])
            Expect.oneLineError(run, mentions: input.mentions)
            Expect.nothingWritten(at: output)
            #expect(try tmp.contents() == ["in.json"], "no temporary file is left beside --output")

            let piped = try await Taskdef.falcon(["-"], stdin: Data(input.text.utf8))
            Expect.oneLineError(piped, mentions: input.mentions)
        }
    }

    @Test("describe-task-definition output: unwrapped, read-only fields stripped with a notice, tags kept")
    func describeOutput() async throws {
        let readOnlyKeys = try await Taskdef.awsModel().readOnlyKeys
        let described = try #require(try Taskdef.object(Taskdef.data("describe-output.json"))["taskDefinition"] as? [String: Any])
        #expect(Set(readOnlyKeys).isSubset(of: described.keys), "the fixture must carry every read-only field of the AWS model")
        let run = try await Taskdef.falcon([Taskdef.path("describe-output.json")])
        #expect(run.succeeded, "\(run)")
        let task = try Taskdef.object(run.stdout)
        #expect(task["taskDefinition"] == nil)
        #expect(Set(task.keys).isDisjoint(with: readOnlyKeys))
        #expect(task["family"] as? String == "sleep360")
        #expect(
            task["tags"] as? [[String: String]] == [["key": "team", "value": "payments"]],
            "describe --include TAGS puts tags beside the task definition; they are registered with it")
        #expect(Taskdef.equal(task["placementConstraints"], [Any]()), "fields we do not touch stay, even empty ones")

        let notice = try #require(run.stderrLines.first { $0.contains("removed the read-only fields") })
        for key in readOnlyKeys { #expect(notice.contains(key), "\(key) not named in \(notice)") }
        #expect(run.stderrLines.contains { $0.contains("taskDefinition") && $0.contains("bare") })
    }

    @Test("an empty tags list is stripped (register refuses it), a non-empty one is kept")
    func emptyTags() async throws {
        try await TempDirectory.with("taskdef-tags") { tmp in
            var task = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))
            task["tags"] = [Any]()
            var run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            #expect(run.succeeded, "\(run)")
            #expect(try Taskdef.object(run.stdout)["tags"] == nil)
            #expect(run.stderrText.contains("tags (empty)"))

            task["tags"] = [["key": "k", "value": "v"]]
            run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            #expect(try Taskdef.object(run.stdout)["tags"] as? [[String: String]] == [["key": "k", "value": "v"]])
        }
    }

    @Test("--output is written atomically, and stdout then stays empty")
    func outputFile() async throws {
        try await TempDirectory.with("taskdef-output") { tmp in
            let output = tmp.appending("patched.json")
            let toFile = try await Taskdef.falcon([Taskdef.path("falcon-sample-before.json"), "--output", output])
            #expect(toFile.succeeded, "\(toFile)")
            #expect(toFile.stdout.isEmpty)
            let toStdout = try await Taskdef.falcon([Taskdef.path("falcon-sample-before.json")])
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == toStdout.stdout)
            #expect(try tmp.contents() == ["patched.json"])
        }
    }

    @Test("two task definitions at once are refused")
    func twoInputs() async throws {
        let before = Taskdef.path("falcon-sample-before.json")
        Expect.oneLineError(try await Taskdef.falcon([before, "-ecs-spec-file", before]), mentions: ["more than once"])
    }
}
