import Foundation

/// Runs the real `imagepatch` binary.
enum ImagePatchCLI {
    /// A well-formed Falcon CID (32 hex digits and a checksum suffix).
    static let cid = "0123456789abcdef0123456789abcdef-12"

    /// `imagepatch ARGS...`. SOURCE_DATE_EPOCH is unset unless `environment` sets it, so the
    /// caller's shell cannot change what a test sees. Each run gets an empty agent-layer cache of
    /// its own (removed afterwards), unless `environment` names one: tests that are not about the
    /// cache see the layer built, as a first run would.
    static func run(_ arguments: [String], environment: [String: String?] = [:], stdin: Data? = nil) async throws -> ProcessResult {
        let cache = try TempDirectory(label: "cache")
        defer { cache.remove() }
        var env: [String: String?] = ["SOURCE_DATE_EPOCH": nil, "XDG_CACHE_HOME": cache.path]
        for (key, value) in environment { env[key] = value }
        return try await ProcessRunner.run(try RepositoryPaths.binary(), arguments, environment: env, stdin: stdin)
    }

    /// `imagepatch patch --source S --agent A --target T --cid CID [extra...]`; `cid: nil` leaves it out.
    static func patch(
        source: String, agent: String, target: String, cid: String? = cid, json: Bool = false,
        extra: [String] = [], environment: [String: String?] = [:]
    ) async throws -> ProcessResult {
        var arguments = ["patch", "--source", source, "--agent", agent, "--target", target]
        if let cid { arguments += ["--cid", cid] }
        if json { arguments.append("--json") }
        return try await run(arguments + extra, environment: environment)
    }

    /// Like `patch`, but a failure is an error (with the command's output in it).
    @discardableResult
    static func patchOrThrow(
        source: String, agent: String, target: String, json: Bool = false, extra: [String] = [],
        environment: [String: String?] = [:]
    ) async throws -> ProcessResult {
        let result = try await patch(
            source: source, agent: agent, target: target, json: json, extra: extra,
            environment: environment)
        guard result.succeeded else { throw CommandFailed(result: result) }
        return result
    }

    /// `imagepatch inspect --json REF`, parsed.
    static func inspectJSON(_ reference: String) async throws -> [String: Any] {
        let result = try await run(["inspect", "--json", reference])
        guard result.succeeded else { throw CommandFailed(result: result) }
        return try Oracles.jsonObject(result.stdout)
    }
}
