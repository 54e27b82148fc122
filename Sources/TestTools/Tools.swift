// Shared by the test targets that check output with outside tools (openssl, curl, python3).
import Foundation
import Glibc

/// What an outside tool (openssl, curl, python3) returned.
public struct ToolResult: Sendable, CustomStringConvertible {
    public let command: [String]
    public let exitCode: Int32
    public let stdout: String
    public let stderr: String
    public var description: String { "`\(command.joined(separator: " "))` exited \(exitCode)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

public struct ToolFailed: Error, CustomStringConvertible {
    public let result: ToolResult
    public var description: String { "tool failed: \(result)" }
}

public struct ToolMissing: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name) is not installed (scripts/setup installs the test tools)" }
}

/// Runs the independent checkers. Output goes to files (no pipe can fill up), and the caller's Swift
/// concurrency thread is not blocked: the termination handler resumes it.
public enum Tools {
    /// - Parameters:
    ///   - environment: set on top of this process's environment (or of an empty one, with `clearEnvironment`).
    public static func run(
        _ executable: String, _ arguments: [String] = [], stdin: String? = nil, environment: [String: String] = [:],
        clearEnvironment: Bool = false
    ) async throws -> ToolResult {
        let scratch = try TemporaryDirectory(label: "tool")
        defer { scratch.remove() }
        let outPath = scratch.file("stdout")
        let errPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        var variables = clearEnvironment ? [:] : ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let inPath = scratch.file("stdin")
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: inPath))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume() }
        }
        try? out.close()
        try? err.close()
        return ToolResult(
            command: [executable] + arguments, exitCode: process.isRunning ? -1 : process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    @discardableResult
    public static func check(
        _ executable: String, _ arguments: [String] = [], stdin: String? = nil, environment: [String: String] = [:],
        clearEnvironment: Bool = false
    ) async throws -> ToolResult {
        let result = try await run(executable, arguments, stdin: stdin, environment: environment, clearEnvironment: clearEnvironment)
        guard result.exitCode == 0 else { throw ToolFailed(result: result) }
        return result
    }

    /// A bare name from PATH or the sbin directories (chroot, unshare); a path as it is.
    public static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw ToolMissing(name: name)
    }

    /// Runs a Python script (given on standard input) with arguments.
    @discardableResult
    public static func python(_ script: String, _ arguments: [String] = []) async throws -> ToolResult {
        try await check("python3", ["-"] + arguments, stdin: script)
    }
}

/// A fresh directory for one test, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(label: String) throws {
        let parent = NSTemporaryDirectory()
        var template = Array("\(parent.hasSuffix("/") ? String(parent.dropLast()) : parent)/imagepatch-test-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    public func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    public static func with<T>(_ label: String, _ body: (TemporaryDirectory) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(label: label)
        defer { directory.remove() }
        return try await body(directory)
    }
}
