import Foundation
import Testing

/// Runs `imagepatch k8s inject` and reads what it wrote with independent readers: PyYAML for YAML,
/// Foundation for JSON, and `kubernetes-validate` (the Kubernetes OpenAPI schemas) for validity.
enum K8sInject {
    static let cid = "97DBE4B7157348B9A533D66A81E30D28-B9"
    static let agentImage = "registry.example/falcon-sensor/falcon-container:7.1"
    static let optOut = "sensor.falcon-system.crowdstrike.com/injection"
    static let initName = "crowdstrike-falcon-init-container"
    static let volume = "crowdstrike-falcon-volume"

    /// `imagepatch k8s inject --cid … --agent-image … ARGS...`.
    static func run(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try RepositoryPaths.binary(), ["k8s", "inject"] + arguments + ["--cid", cid, "--agent-image", agentImage],
            environment: ["SOURCE_DATE_EPOCH": nil], stdin: stdin)
    }

    /// Every document of a YAML stream, as PyYAML (safe_load_all) reads them.
    static func yamlDocuments(_ data: Data) async throws -> [[String: Any]] {
        let script = "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)"
        let run = try await ProcessRunner.run("python3", ["-c", script], stdin: data)
        guard run.succeeded else { throw CommandFailed(result: run) }
        return try JSONSerialization.jsonObject(with: run.stdout) as? [[String: Any]] ?? []
    }

    /// `kubernetes-validate --strict` on the files: every document must pass its schema.
    static func validate(_ files: [String]) async throws {
        let run = try await ProcessRunner.run("kubernetes-validate", ["--strict", "--quiet"] + files)
        #expect(run.succeeded, "kubernetes-validate refused the output: \(run)")
    }

    /// The pod spec of a workload object (Pod, template kinds, CronJob).
    static func podSpec(_ object: [String: Any]) -> [String: Any] {
        let spec = object["spec"] as? [String: Any] ?? [:]
        switch object["kind"] as? String {
        case "Pod": return spec
        case "CronJob":
            let job = (spec["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any]
            return ((job?["template"] as? [String: Any])?["spec"] as? [String: Any]) ?? [:]
        default: return ((spec["template"] as? [String: Any])?["spec"] as? [String: Any]) ?? [:]
        }
    }

    static func containers(_ spec: [String: Any], _ key: String = "containers") -> [[String: Any]] {
        spec[key] as? [[String: Any]] ?? []
    }

    static func container(_ spec: [String: Any], _ name: String) -> [String: Any] {
        containers(spec).first { $0["name"] as? String == name } ?? [:]
    }

    /// The falcon launcher in the shared volume (the ECS sidecar's).
    static func launcher(arm64: Bool = false) -> [String] {
        let root = "/tmp/CrowdStrike/rootfs"
        return [
            "\(root)/lib64/\(arm64 ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2")", "--library-path", "\(root)/lib64",
            "\(root)/bin/bash", "\(root)/entrypoint-ecs.sh",
        ]
    }

    /// What every injected application container must have.
    static func expectInjected(_ container: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        #expect(
            mounts.contains { $0["name"] as? String == volume && $0["mountPath"] as? String == "/tmp/CrowdStrike" },
            "\(container)", sourceLocation: sourceLocation)
        let env = container["env"] as? [[String: Any]] ?? []
        #expect(
            env.filter { $0["name"] as? String == "FALCONCTL_OPTS" }.map { $0["value"] as? String } == ["--cid=\(cid)"],
            "\(env)", sourceLocation: sourceLocation)
        let add = ((container["securityContext"] as? [String: Any])?["capabilities"] as? [String: Any])?["add"] as? [String]
        #expect(add?.filter { $0 == "SYS_PTRACE" }.count == 1, "\(container)", sourceLocation: sourceLocation)
    }

    /// Our init container and volume, once each.
    static func expectAgent(_ spec: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        let inits = containers(spec, "initContainers").filter { $0["name"] as? String == initName }
        #expect(inits.count == 1, "\(spec)", sourceLocation: sourceLocation)
        #expect(inits.first?["image"] as? String == agentImage, sourceLocation: sourceLocation)
        #expect((inits.first?["command"] as? [String])?.first == "/bin/bash", sourceLocation: sourceLocation)
        let volumes = spec["volumes"] as? [[String: Any]] ?? []
        #expect(volumes.filter { $0["name"] as? String == volume && $0["emptyDir"] != nil }.count == 1, sourceLocation: sourceLocation)
    }
}
