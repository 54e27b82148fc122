import Foundation
import ImagePatch
import TaskDefinition
import Testing

/// The fields `taskdef` strips come from the AWS API model (scripts/gen-ecs-readonly-fields writes
/// them from botocore). Checked here with tools imagepatch did not write: the installed botocore's
/// model and validator, and the aws CLI against a moto ECS server.
@Suite("taskdef: AWS API model")
struct TaskDefinitionAWSModelTests {
    static let generator = RepositoryPaths.root + "/scripts/gen-ecs-readonly-fields"
    static let generated = RepositoryPaths.root + "/Sources/TaskDefinition/ECSTaskDefinitionModel.swift"

    @Test("the committed field lists are what scripts/gen-ecs-readonly-fields makes from the installed botocore")
    func listsMatchBotocore() async throws {
        let model = try await Taskdef.awsModel()
        #expect(ECSTaskDefinitionModel.readOnlyKeys == model.readOnlyKeys, "run scripts/gen-ecs-readonly-fields")
        #expect(ECSTaskDefinitionModel.registerKeys == model.registerKeys, "run scripts/gen-ecs-readonly-fields")
        #expect(ECSTaskDefinitionModel.readOnlyKeys.contains("deleteRequestedAt"))

        // The whole file, apart from the botocore version it names (a newer botocore with the same
        // lists needs no new file).
        let committedVersion = try #require(ECSTaskDefinitionModel.source.split(separator: " ").dropFirst().first)
        let regenerated = try await ProcessRunner.check(Self.generator, ["--stdout"]).stdoutText
            .replacingOccurrences(of: "botocore \(model.botocore)", with: "botocore \(committedVersion)")
        #expect(regenerated == (try String(contentsOfFile: Self.generated, encoding: .utf8)))
    }

    /// Runs that start from describe-task-definition output carrying every read-only field.
    static let describeRuns: [[String]] = [
        [Taskdef.path("describe-output.json"), "-cid", Taskdef.cid, "-image", Taskdef.agentImage],
        [
            Taskdef.path("describe-output.json"), "--mode", "embedded", "--image-map",
            "busybox=registry.example/busybox-patched:1@sha256:" + String(repeating: "a", count: 64),
            "--launcher", "/opt/agent/launch",
        ],
        [Taskdef.path("falcon-sample-after.json"), "-cid", Taskdef.cid, "-image", Taskdef.agentImage],
    ]

    @Test("the output passes botocore's own validator for register_task_definition", arguments: describeRuns)
    func outputPassesBotocoreValidator(_ arguments: [String]) async throws {
        let run = try await Taskdef.runOrThrow(arguments)
        let validated = try await Taskdef.botocoreValidate(run.stdout)
        #expect(validated.succeeded, "\(validated)")
    }

    @Test("botocore's validator refuses the describe output itself, deleteRequestedAt included (so the check above can fail)")
    func validatorRefusesReadOnlyFields() async throws {
        let described = try #require(try Taskdef.object(Taskdef.data("describe-output.json"))["taskDefinition"])
        let refused = try await Taskdef.botocoreValidate(try JSONSerialization.data(withJSONObject: described))
        #expect(!refused.succeeded)
        for key in try await Taskdef.awsModel().readOnlyKeys {
            #expect(refused.stderrText.contains("Unknown parameter in input: \"\(key)\""), "\(key): \(refused.stderrText)")
        }
    }

    @Test("the output registers with `aws ecs register-task-definition --cli-input-json` on a moto ECS server")
    func registersOnMoto() async throws {
        try await TempDirectory.with("taskdef-moto") { tmp in
            let file = tmp.appending("task.json")
            try await Taskdef.runOrThrow(Self.describeRuns[0]).stdout.write(to: URL(fileURLWithPath: file))
            let registered = try await ProcessRunner.run("python3", [Taskdef.awsModelScript, "register", file])
            #expect(registered.succeeded, "\(registered)")
            let task = try #require(try Taskdef.object(registered.stdout)["taskDefinition"] as? [String: Any])
            #expect(task["family"] as? String == "sleep360")
            #expect(try Taskdef.containers(task).compactMap { $0["name"] as? String } == ["sleep", "crowdstrike-falcon-init-container"])
            let initContainer = try Taskdef.container(task, "crowdstrike-falcon-init-container")
            #expect(initContainer["memoryReservation"] as? Int == 32, "the task sets no memory, so each container needs some")

            // The input as describe printed it is refused by the CLI: the control case.
            let described = try #require(try Taskdef.object(Taskdef.data("describe-output.json"))["taskDefinition"])
            try JSONSerialization.data(withJSONObject: described).write(to: URL(fileURLWithPath: file))
            let refused = try await ProcessRunner.run("python3", [Taskdef.awsModelScript, "register", file])
            #expect(!refused.succeeded)
            #expect(refused.stderrText.contains("Unknown parameter in input: \"deleteRequestedAt\""), "\(refused)")
        }
    }
}
