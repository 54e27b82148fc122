import Foundation
import Glibc

/// What an outside tool (openssl, python3) returned.
struct ToolResult: Sendable, CustomStringConvertible {
    let command: [String]
    let exitCode: Int32
    let stdout: String
    let stderr: String
    var description: String { "`\(command.joined(separator: " "))` exited \(exitCode)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

struct ToolFailed: Error, CustomStringConvertible {
    let result: ToolResult
    var description: String { "tool failed: \(result)" }
}

/// Runs the independent checkers. Output goes to files (no pipe can fill up), and the caller's Swift
/// concurrency thread is not blocked: the termination handler resumes it.
enum Tools {
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> ToolResult {
        let scratch = try TemporaryDirectory(label: "tool")
        defer { scratch.remove() }
        let outPath = scratch.file("stdout")
        let errPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
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
    static func check(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> ToolResult {
        let result = try await run(executable, arguments, stdin: stdin)
        guard result.exitCode == 0 else { throw ToolFailed(result: result) }
        return result
    }

    /// Runs a Python script (given on standard input) with arguments.
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = []) async throws -> ToolResult {
        try await check("python3", ["-"] + arguments, stdin: script)
    }
}

/// A fresh directory for one test, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(label: String) throws {
        let parent = NSTemporaryDirectory()
        var template = Array("\(parent.hasSuffix("/") ? String(parent.dropLast()) : parent)/imagepatch-attest-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static func with<T>(_ label: String, _ body: (TemporaryDirectory) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(label: label)
        defer { directory.remove() }
        return try await body(directory)
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex text: String) -> [UInt8] {
    var out = [UInt8]()
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// A Python helper that verifies an ECDSA P-256/SHA-256 DER signature with pyca/cryptography:
/// argv = public key PEM file, message file, signature (base64); prints "valid" or "invalid".
let pythonVerifyECDSA = """
    import sys, base64
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.exceptions import InvalidSignature
    key = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1", key
    message = open(sys.argv[2], "rb").read()
    try:
        key.verify(base64.b64decode(sys.argv[3], validate=True), message, ec.ECDSA(hashes.SHA256()))
        print("valid")
    except InvalidSignature:
        print("invalid")
    """
