import Foundation
import Glibc

/// One run of `scripts/package` from the debug build (the binary `swift build` left, with
/// `imagepatch-image` and `generate-manual` beside it), shared by every test of this target.
/// The release build (`--static-swift-stdlib`) takes minutes: these tests check the packaging steps,
/// and what only the release binary can show (no libswift in `ldd`) is the script's own refusal.
struct PackageBuild: Sendable {
    let directory: String
    let version: String
    var deb: String { "\(directory)/imagepatch_\(version)_amd64.deb" }
    var archive: String { "\(directory)/imagepatch-\(version).oci.tar" }

    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binary: String {
        if let configured = ProcessInfo.processInfo.environment["IMAGEPATCH_BIN"], !configured.isEmpty { return configured }
        return root + "/.build/debug/imagepatch"
    }

    static func shared() async throws -> PackageBuild { try await sharedBuild.value }

    private static let sharedBuild = Task { try await make() }

    private static func make() async throws -> PackageBuild {
        let tools = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        for tool in [binary, "\(tools)/imagepatch-image", "\(tools)/generate-manual"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Missing(
                description: "\(tool) is missing: run `swift build --build-tests && swift build --product generate-manual` first")
        }
        let directory = try Scratch.directory("dist")
        try await Command.check(
            root + "/scripts/package",
            ["--binary", binary, "--allow-dynamic-swift", "--out", directory],
            environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        let version = try await Command.check(binary, ["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return PackageBuild(directory: directory, version: version)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }
}

/// What a finished command returned.
struct CommandResult: Sendable, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String { "`\(command.joined(separator: " "))` exited \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

struct CommandFailed: Error, CustomStringConvertible {
    let result: CommandResult
    var description: String { "command failed: \(result)" }
}

/// Runs a command with its output in files (no pipe to drain), waiting without blocking a thread.
enum Command {
    static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], clearEnvironment: Bool = false
    ) async throws -> CommandResult {
        let outputs = try Scratch.directory("output")
        defer { try? FileManager.default.removeItem(atPath: outputs) }
        _ = FileManager.default.createFile(atPath: outputs + "/stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: outputs + "/stderr", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        var env = clearEnvironment ? [:] : ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outputs + "/stdout"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: outputs + "/stderr"))
        process.standardOutput = out
        process.standardError = err
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? out.close()
        try? err.close()
        let read = { (name: String) in (try? String(contentsOfFile: outputs + "/" + name, encoding: .utf8)) ?? "" }
        return CommandResult(
            command: [executable] + arguments, status: process.terminationStatus, stdout: read("stdout"), stderr: read("stderr"))
    }

    @discardableResult
    static func check(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], clearEnvironment: Bool = false
    ) async throws -> CommandResult {
        let result = try await run(executable, arguments, environment: environment, clearEnvironment: clearEnvironment)
        guard result.status == 0 else { throw CommandFailed(result: result) }
        return result
    }

    /// A bare name from PATH or the sbin directories (chroot, unshare).
    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw PackageBuild.Missing(description: "\(name) is not installed (scripts/setup installs the test tools)")
    }
}

/// Directories for this test process, removed when it exits.
enum Scratch {
    static let path: String = {
        var template = Array("\(NSTemporaryDirectory())/imagepatch-package-tests-XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template)!)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.path) }
        return path
    }()

    static func directory(_ label: String) throws -> String {
        var template = Array("\(path)/\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        chmod(made, 0o755)
        return String(cString: made)
    }
}
