import Foundation

/// A real `docker-registry` (CNCF distribution) on a loopback port, started by
/// `scripts/testenv/registry-env` in one of its modes, and stopped with `stop()`.
struct RegistryServer: Sendable {
    enum Mode: String, Sendable {
        case plain
        case basicTLS = "basic-tls"
        case token
    }

    let directory: String
    let mode: Mode
    let url: String
    let host: String
    let caFile: String?
    let username: String?
    let password: String?

    static var script: String { RepositoryPaths.root + "/scripts/testenv/registry-env" }

    static func start(_ mode: Mode, label: String) async throws -> RegistryServer {
        let directory = try TempDirectory(label: "registry-\(label)").path
        let result = try await ProcessRunner.run(script, ["start", "--dir", directory, "--mode", mode.rawValue])
        guard result.succeeded else { throw CommandFailed(result: result) }
        let info = try Oracles.jsonObject(result.stdout)
        return RegistryServer(
            directory: directory, mode: mode, url: info["url"] as! String, host: info["host"] as! String,
            caFile: info["caFile"] as? String, username: info["username"] as? String,
            password: info["password"] as? String)
    }

    func stop() async {
        _ = try? await ProcessRunner.run(Self.script, ["stop", "--dir", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// skopeo's flags to reach this registry: `side` is "src" or "dest" for `copy`, nil for `inspect`.
    func skopeoFlags(_ side: String?) -> [String] {
        let prefix = side.map { "--\($0)-" } ?? "--"
        var flags: [String] = []
        switch mode {
        case .plain, .token: flags.append("\(prefix)tls-verify=false")
        case .basicTLS: flags.append("\(prefix)cert-dir=\(directory)/certs")
        }
        if mode != .plain, let username, let password { flags.append("\(prefix)creds=\(username):\(password)") }
        return flags
    }

    /// Pushes an OCI layout tag (all platforms) with skopeo, so tests start from a known image.
    func push(layout reference: String, as repositoryTag: String) async throws {
        try await ProcessRunner.check(
            "skopeo",
            ["copy", "--all", "-q"] + skopeoFlags("dest")
                + [reference, "docker://\(host)/\(repositoryTag)"])
    }

    /// The raw manifest skopeo reads for `repositoryTag`, or nil when the registry has no such tag.
    func rawManifest(_ repositoryTag: String) async throws -> Data? {
        let result = try await ProcessRunner.run(
            "skopeo",
            ["inspect", "--raw"] + skopeoFlags(nil)
                + ["docker://\(host)/\(repositoryTag)"])
        if result.succeeded { return result.stdout }
        if result.stderrText.contains("manifest unknown") || result.stderrText.contains("not found") { return nil }
        throw CommandFailed(result: result)
    }

    /// Copies every platform of `repositoryTag` into an OCI layout with skopeo (which checks every
    /// digest on the way) and returns the layout path.
    func copyToLayout(_ repositoryTag: String, in scratch: TempDirectory) async throws -> String {
        let layout = scratch.appending("copy-\(UUID().uuidString.prefix(8))")
        try await ProcessRunner.check(
            "skopeo",
            ["copy", "--all", "-q"] + skopeoFlags("src")
                + ["docker://\(host)/\(repositoryTag)", "oci:\(layout):x"])
        return layout
    }
}

/// The fault-injecting, byte-counting proxy of `scripts/testenv`, in front of a registry.
struct FaultProxy: Sendable {
    let host: String
    let control: String
    let pid: Int32

    static func start(in front: RegistryServer) async throws -> FaultProxy {
        let result = try await ProcessRunner.run(
            RegistryServer.script,
            ["proxy", "--dir", front.directory, "--upstream", front.url])
        guard result.succeeded else { throw CommandFailed(result: result) }
        let info = try Oracles.jsonObject(result.stdout)
        return FaultProxy(host: info["host"] as! String, control: info["control"] as! String, pid: Int32(info["pid"] as! Int))
    }

    /// Stops this proxy (the registry's `stop` would too, but a suite that starts many stops each).
    func stop() { kill(pid, SIGTERM) }

    /// Arms faults, e.g. `[["match": ["method": "GET", "path_regex": "/blobs/"], "action": "status503", "times": 1]]`.
    func arm(_ faults: [[String: Any]]) async throws {
        try await control(["faults": faults, "reset_stats": true])
    }

    /// Random mode: each request gets, with probability `p`, one of the six faults, drawn from `seed`.
    func armRandom(p: Double, seed: Int, retryAfter: Int = 1) async throws {
        try await control(["faults": [], "reset_stats": true, "random": ["p": p, "seed": seed, "retry_after": retryAfter]])
    }

    private func control(_ request: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: request)
        try await ProcessRunner.check(
            "curl",
            [
                "-sf", "-X", "POST", "-H", "Content-Type: application/json",
                "--data-binary", String(decoding: body, as: UTF8.self), control,
            ])
    }

    func statistics() async throws -> [String: Any] {
        try Oracles.jsonObject(try await ProcessRunner.check("curl", ["-sf", control]).stdout)
    }

    /// "METHOD /path" of every request the proxy saw since the last `arm`.
    func requests() async throws -> [(method: String, path: String, status: Int)] {
        let stats = try await statistics()
        let list = stats["requests"] as? [[String: Any]] ?? []
        return list.map { ($0["method"] as? String ?? "", $0["path"] as? String ?? "", $0["status"] as? Int ?? 0) }
    }
}
