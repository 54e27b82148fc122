import Foundation
import Glibc

/// What a finished command returned.
struct ProcessResult: Sendable, CustomStringConvertible {
    let command: [String]
    let exitCode: Int32
    let stdout: Data
    let stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// Lines of stdout / stderr, without the empty piece after a final newline.
    var stdoutLines: [String] { Self.lines(stdoutText) }
    var stderrLines: [String] { Self.lines(stderrText) }

    var succeeded: Bool { exitCode == 0 }

    var description: String {
        "`\(command.joined(separator: " "))` exited \(exitCode)\nstdout:\n\(stdoutText)\nstderr:\n\(stderrText)"
    }

    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

/// A command that had to succeed but did not.
struct CommandFailed: Error, CustomStringConvertible {
    let result: ProcessResult
    var description: String { "command failed: \(result)" }
}

/// Runs commands with Foundation's `Process`, reading stdout and stderr concurrently (so a child
/// that fills one pipe while we wait on the other cannot deadlock), without blocking the caller's
/// Swift concurrency thread.
enum ProcessRunner {
    /// - Parameters:
    ///   - environment: overrides on top of this process's environment; a nil value unsets the variable.
    ///   - clearEnvironment: start from an empty environment (`env -i`) instead.
    static func run(
        _ executable: String, _ arguments: [String] = [],
        environment: [String: String?] = [:], clearEnvironment: Bool = false,
        stdin: Data? = nil, currentDirectory: String? = nil
    ) async throws -> ProcessResult {
        let path = try resolve(executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = clearEnvironment ? [:] : ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }

        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe

        let collected = Collected()
        let group = DispatchGroup()
        group.enter()
        process.terminationHandler = { _ in group.leave() }
        do { try process.run() } catch {
            group.leave()
            throw error
        }

        group.enter()
        DispatchQueue.global().async {
            let data = outPipe.fileHandleForReading.readDataToEndOfFile()
            collected.set(stdout: data)
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            let data = errPipe.fileHandleForReading.readDataToEndOfFile()
            collected.set(stderr: data)
            group.leave()
        }
        if let stdin {
            _ = ignoreSIGPIPE
            group.enter()
            DispatchQueue.global().async {
                let handle = inPipe.fileHandleForWriting
                // A child that exits without reading stdin makes the write fail (EPIPE): ignore it.
                try? handle.write(contentsOf: stdin)
                try? handle.close()
                group.leave()
            }
        }

        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        let (out, err) = collected.values
        return ProcessResult(command: [path] + arguments, exitCode: process.terminationStatus, stdout: out, stderr: err)
    }

    /// Runs and requires exit code 0, throwing `CommandFailed` (with both outputs) otherwise.
    @discardableResult
    static func check(
        _ executable: String, _ arguments: [String] = [], environment: [String: String?] = [:],
        stdin: Data? = nil
    ) async throws -> ProcessResult {
        let result = try await run(executable, arguments, environment: environment, stdin: stdin)
        guard result.succeeded else { throw CommandFailed(result: result) }
        return result
    }

    /// An absolute path as is; a bare name looked up in PATH (and the sbin directories, for chroot/mount).
    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw ToolMissing(name: name)
    }

    static func isInstalled(_ name: String) -> Bool { (try? resolve(name)) != nil }

    /// Writing to a child that already exited must fail with EPIPE, not kill the test process.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}

struct ToolMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "\(name) is not installed (scripts/setup installs the test tools)" }
}

/// Output gathered by the reader threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func set(stdout: Data) {
        lock.lock()
        out = stdout
        lock.unlock()
    }
    func set(stderr: Data) {
        lock.lock()
        err = stderr
        lock.unlock()
    }
    var values: (Data, Data) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}
