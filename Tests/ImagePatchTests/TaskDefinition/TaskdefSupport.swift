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
        try await ProcessRunner.run(try RepositoryPaths.binary(), ["taskdef"] + arguments,
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
        return ["\(root)/lib64/\(arm64 ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2")", "--library-path", "\(root)/lib64",
                "\(root)/bin/bash", "\(root)/entrypoint-ecs.sh"]
    }

    /// What `register-task-definition` accepts at the top level: the list the AWS CLI prints in its
    /// "Unknown parameter in input: …, must be one of: …" error, which is the RegisterTaskDefinition
    /// request's members (AWS API reference, and e.g. paws.compute's ecs_register_task_definition
    /// signature: family, taskRoleArn, …, ephemeralStorage, runtimePlatform).
    static let registerTopLevelKeys: Set<String> = [
        "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "placementConstraints", "requiresCompatibilities", "cpu", "memory", "tags", "pidMode", "ipcMode",
        "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
    ]

    static let readOnlyKeys: Set<String> = [
        "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
        "registeredAt", "registeredBy", "deregisteredAt",
    ]
}
