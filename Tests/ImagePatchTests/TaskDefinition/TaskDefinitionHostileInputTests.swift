import Foundation
import Glibc
import ImagePatch
import TaskDefinition
import Testing

/// Task definitions written to break `taskdef`: wrong JSON types, endless or special files as input,
/// control characters in names and keys.
@Suite("taskdef: hostile input")
struct TaskDefinitionHostileInputTests {
    typealias BadInput = TaskDefinitionInputTests.BadInput

    /// A task whose one container "app" has `members` besides its name, image and entryPoint.
    static func task(_ members: String) -> String {
        #"{"family": "x", "containerDefinitions": [{"name": "app", "image": "i", "entryPoint": ["/run"], \#(members)}]}"#
    }

    static func wrongType(_ label: String, _ members: String, _ field: String, _ reason: String) -> BadInput {
        BadInput(label: label, text: task(members), mentions: ["\(field) of container \"app\"", reason])
    }

    static let wrongTypes: [BadInput] = [
        BadInput(
            label: "containerDefinitions an object", text: #"{"containerDefinitions": {"name": "app"}}"#,
            mentions: ["containerDefinitions", "non-empty array"]),
        wrongType("command a string", #""command": "run""#, "command", "must be an array of strings, not a string"),
        wrongType("command holding an object", #""command": [{"a": 1}]"#, "command[0]", "must be a string, not an object"),
        BadInput(
            label: "entryPoint holding a number", text: #"{"containerDefinitions": [{"name": "app", "entryPoint": ["/run", 1]}]}"#,
            mentions: ["entryPoint[1] of container \"app\"", "must be a string, not a number"]),
        wrongType("environment an object", #""environment": {"A": "1"}"#, "environment", "must be an array of objects, not an object"),
        wrongType("environment entry null", #""environment": [null]"#, "environment[0]", "must be an object, not null"),
        wrongType(
            "environment value a number", #""environment": [{"name": "A", "value": 1}]"#, "environment[0].value",
            "must be a string, not a number"),
        wrongType("dependsOn a string", #""dependsOn": "db""#, "dependsOn", "must be an array of objects, not a string"),
        wrongType(
            "dependsOn condition a boolean", #""dependsOn": [{"containerName": "db", "condition": true}]"#,
            "dependsOn[0].condition", "must be a string, not a boolean"),
        wrongType("mountPoints holding a string", #""mountPoints": ["/data"]"#, "mountPoints[0]", "must be an object, not a string"),
        wrongType(
            "mountPoints readOnly a string", #""mountPoints": [{"sourceVolume": "v", "containerPath": "/d", "readOnly": "yes"}]"#,
            "mountPoints[0].readOnly", "must be a boolean, not a string"),
        wrongType(
            "volumesFrom sourceContainer a number", #""volumesFrom": [{"sourceContainer": 7}]"#,
            "volumesFrom[0].sourceContainer", "must be a string, not a number"),
        wrongType(
            "capabilities.add a string", #""linuxParameters": {"capabilities": {"add": "SYS_PTRACE"}}"#,
            "linuxParameters.capabilities.add", "must be an array of strings, not a string"),
        wrongType("linuxParameters an array", #""linuxParameters": []"#, "linuxParameters", "must be an object, not an array"),
        wrongType(
            "dockerLabels value a number", #""dockerLabels": {"tier": 1}"#, #"dockerLabels["tier"]"#, "must be a string, not a number"),
        wrongType("essential a string", #""essential": "true""#, "essential", "must be a boolean, not a string"),
        BadInput(
            label: "image a number", text: #"{"containerDefinitions": [{"name": "app", "image": 5}]}"#,
            mentions: ["image of container \"app\"", "must be a string, not a number"]),
        BadInput(
            label: "volumes[0].name a number",
            text: #"{"containerDefinitions": [{"name": "app", "entryPoint": ["/run"]}], "volumes": [{"name": 1}]}"#,
            mentions: ["volumes[0].name", "must be a string, not a number"]),
        BadInput(
            label: "runtimePlatform a string",
            text: #"{"containerDefinitions": [{"name": "app", "entryPoint": ["/run"]}], "runtimePlatform": "ARM64"}"#,
            mentions: ["runtimePlatform", "must be an object, not a string"]),
        BadInput(
            label: "tags beside taskDefinition a string",
            text: #"{"taskDefinition": {"containerDefinitions": [{"name": "app", "entryPoint": ["/run"]}]}, "tags": "team=a"}"#,
            mentions: [#"tags beside "taskDefinition""#, "must be an array of objects, not a string"]),
    ]

    @Test("wrong JSON types: one error line naming the container and the field", arguments: wrongTypes)
    func wrongJSONTypes(_ input: BadInput) async throws {
        try await TaskDefinitionInputTests.expectRejected(input)
    }

    @Test("/dev/zero on stdin stops at the input limit: one error line, non-zero exit")
    func endlessStdin() async throws {
        let run = try await ProcessRunner.run(
            "/bin/sh",
            [
                "-c", #"exec "$0" taskdef - -cid "$1" -image "$2" < /dev/zero"#,
                try RepositoryPaths.binary(), Taskdef.cid, Taskdef.agentImage,
            ])
        Expect.oneLineError(run, mentions: ["the task definition on stdin", "1048576-byte limit"])
    }

    @Test("special files as FILE or --from-patch-result are refused before they are read")
    func specialFiles() async throws {
        try await TempDirectory.with("taskdef-special") { tmp in
            let fifo = tmp.appending("fifo.json")
            #expect(mkfifo(fifo, 0o600) == 0)
            Expect.oneLineError(try await Taskdef.falcon(["/dev/zero"]), mentions: ["/dev/zero", "character device"])
            Expect.oneLineError(try await Taskdef.falcon(["-ecs-spec-file", "/dev/zero"]), mentions: ["/dev/zero", "character device"])
            Expect.oneLineError(try await Taskdef.falcon([fifo]), mentions: [fifo, "FIFO"])
            Expect.oneLineError(try await Taskdef.falcon([tmp.path]), mentions: [tmp.path, "directory"])
            Expect.oneLineError(
                try await Taskdef.run([
                    Taskdef.path("falcon-sample-before.json"), "--mode", "embedded",
                    "--from-patch-result", "/dev/zero",
                ]),
                mentions: ["the patch result", "/dev/zero", "character device"])

            let large = tmp.appending("large.json")
            try Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1).write(to: URL(fileURLWithPath: large))
            Expect.oneLineError(try await Taskdef.falcon([large]), mentions: [large, "1048576-byte limit"])
            // --ecs-spec cannot pass the limit (Linux caps one argument at 128 KiB); the library checks anyway.
            #expect(throws: TaskDefinitionError.tooLarge(source: "--ecs-spec", limit: 1 << 20)) {
                try TaskDefinitionDocument(bytes: [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1), source: "--ecs-spec")
            }
        }
    }

    @Test("control characters in names and keys never reach stderr raw; the JSON on stdout keeps them exactly")
    func controlCharacters() async throws {
        let name = "app\u{1b}[2J\r\nimagepatch: error: forged"
        let key = "x-\u{1b}]0;title\u{07}"
        try await TempDirectory.with("taskdef-control") { tmp in
            var task: [String: Any] = [
                "family": "f", key: "kept",
                "containerDefinitions": [["name": name, "image": "i", "entryPoint": ["/run"]]],
            ]
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            #expect(run.succeeded, "\(run)")
            #expect(!run.stderr.contains { $0 < 0x20 && $0 != 0x0a }, "raw control bytes on stderr: \(run.stderrText.debugDescription)")
            #expect(run.stderrLines.allSatisfy { $0.hasPrefix("imagepatch: notice: ") }, "\(run.stderrText.debugDescription)")
            #expect(!run.stdout.contains { $0 < 0x20 && $0 != 0x0a }, "JSON escapes control characters in strings")
            let output = try Taskdef.object(run.stdout)
            #expect(output[key] as? String == "kept")
            #expect(try Taskdef.container(output, name)["entryPoint"] as? [String] == Taskdef.sidecarLauncher() + ["/run"])

            // The same name in an error.
            task["containerDefinitions"] = [["name": name, "entryPoint": ["/a"]], ["name": name, "entryPoint": ["/b"]]]
            let refused = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            Expect.oneLineError(refused, mentions: ["two containers named"])
            #expect(!refused.stderr.contains { $0 < 0x20 && $0 != 0x0a }, "\(refused.stderrText.debugDescription)")
        }
    }

    @Test("an environment with the same name twice keeps one entry, with the new value")
    func duplicateEnvironment() async throws {
        try await TempDirectory.with("taskdef-env") { tmp in
            let task: [String: Any] = [
                "family": "f",
                "containerDefinitions": [
                    [
                        "name": "app", "image": "i", "entryPoint": ["/run"],
                        "environment": [
                            ["name": "FALCONCTL_OPTS", "value": "--cid=old"], ["name": "A", "value": "1"],
                            ["name": "FALCONCTL_OPTS", "value": "--cid=older"],
                        ],
                    ]
                ],
            ]
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            #expect(run.succeeded, "\(run)")
            let environment = try #require(
                try Taskdef.container(try Taskdef.object(run.stdout), "app")["environment"] as? [[String: String]])
            #expect(environment.map { $0["name"] } == ["FALCONCTL_OPTS", "A"])
            #expect(environment.first?["value"] == "--cid=\(Taskdef.cid)")
        }
    }
}
