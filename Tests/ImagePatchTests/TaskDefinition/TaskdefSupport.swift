import Foundation
import JSON
import Testing

/// Runs `imagepatch taskdef` and reads what it wrote, with Foundation's JSON (an independent
/// reader) for values and the project's order-preserving JSON for key order.
enum Taskdef {
    static let cid = "97DBE4B7157348B9A533D66A81E30D28-B9"
    static let agentImage = "1234567890.dkr.ecr.us-west-2.amazonaws.com/falcon-sensor/falcon-container"

    static func path(_ name: String) -> String { RepositoryPaths.root + "/testdata/ecs/" + name }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(name))) }

    /// `imagepatch taskdef ARGS...`, with `stdin` piped in when given.
    static func run(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try RepositoryPaths.binary(), ["taskdef"] + arguments,
            environment: ["SOURCE_DATE_EPOCH": nil], stdin: stdin)
    }

    /// The falcon sidecar run most tests use: `-cid`, `-image`, then `extra`.
    static func falcon(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        try await run(arguments + ["-cid", cid, "-image", agentImage], stdin: stdin)
    }

    /// Like `run`, but a failure is an error carrying the command's output.
    static func runOrThrow(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        let result = try await run(arguments, stdin: stdin)
        guard result.succeeded else { throw CommandFailed(result: result) }
        return result
    }

    /// A task definition in a temporary file (for inputs built by the test).
    static func write(_ object: [String: Any], to directory: TempDirectory, name: String = "task.json") throws -> String {
        let path = directory.appending(name)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func object(_ data: Data) throws -> [String: Any] { try Oracles.jsonObject(data) }

    static func containers(_ task: [String: Any]) throws -> [[String: Any]] {
        try #require(task["containerDefinitions"] as? [[String: Any]], "no containerDefinitions in \(task)")
    }

    static func container(_ task: [String: Any], _ name: String) throws -> [String: Any] {
        try #require(try containers(task).first { $0["name"] as? String == name }, "no container \(name)")
    }

    /// Top-level keys in document order, read with the order-preserving parser.
    static func orderedKeys(_ data: Data) throws -> [String] {
        try #require(try JSONValue(parsing: Array(data)).objectValue).keys
    }

    /// A container's keys in document order.
    static func orderedKeys(_ data: Data, container name: String) throws -> [String] {
        let task = try #require(try JSONValue(parsing: Array(data)).objectValue)
        let containers = try #require(task["containerDefinitions"]?.arrayValue)
        let container = try #require(containers.first { $0["name"]?.stringValue == name }?.objectValue)
        return container.keys
    }

    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return NSArray(object: a).isEqual(NSArray(object: b))
        default: return false
        }
    }

    /// The falcon ECS launcher in the shared volume.
    static func sidecarLauncher(arm64: Bool = false) -> [String] {
        let root = "/tmp/CrowdStrike/rootfs"
        return [
            "\(root)/lib64/\(arm64 ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2")", "--library-path", "\(root)/lib64",
            "\(root)/bin/bash", "\(root)/entrypoint-ecs.sh",
        ]
    }

    /// The ECS API model as botocore ships it: the independent reference for which top-level fields
    /// `register-task-definition` accepts and which ones AWS adds (scripts/lib/ecs_model.py).
    struct AWSModel: Sendable {
        let botocore: String
        let registerKeys: [String]
        let readOnlyKeys: [String]
    }

    static let awsModelScript = RepositoryPaths.root + "/scripts/lib/ecs_model.py"

    static func awsModel() async throws -> AWSModel {
        let fields = try Oracles.jsonObject(try await ProcessRunner.check("python3", [awsModelScript, "fields"]).stdout)
        return AWSModel(
            botocore: try #require(fields["botocore"] as? String),
            registerKeys: try #require(fields["registerKeys"] as? [String]),
            readOnlyKeys: try #require(fields["readOnlyKeys"] as? [String]))
    }

    /// botocore's own parameter validator for `register_task_definition`, on a task definition.
    static func botocoreValidate(_ task: Data) async throws -> ProcessResult {
        try await TempDirectory.with("taskdef-validate") { tmp in
            let file = tmp.appending("task.json")
            try task.write(to: URL(fileURLWithPath: file))
            return try await ProcessRunner.run("python3", [awsModelScript, "validate", file])
        }
    }
}
