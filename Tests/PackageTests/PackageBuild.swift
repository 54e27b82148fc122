import Foundation
import Glibc
import TestTools

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
        try await Tools.check(
            root + "/scripts/package",
            ["--binary", binary, "--allow-dynamic-swift", "--out", directory],
            environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        let version = try await Tools.check(binary, ["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return PackageBuild(directory: directory, version: version)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
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
