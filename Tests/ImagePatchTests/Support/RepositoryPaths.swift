import Foundation

/// Where the repository and the binary under test are.
enum RepositoryPaths {
    /// The repository root: this file is `<root>/Tests/ImagePatchTests/Support/RepositoryPaths.swift`.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var generatedFixtures: String { root + "/testdata/generated" }
    static var makeFixturesScript: String { root + "/scripts/make-fixtures" }

    /// `$IMAGEPATCH_BIN` if set, else `<root>/.build/debug/imagepatch`; it must exist.
    static func binary() throws -> String {
        let path: String
        if let configured = ProcessInfo.processInfo.environment["IMAGEPATCH_BIN"], !configured.isEmpty {
            path = configured
        } else {
            path = root + "/.build/debug/imagepatch"
        }
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BinaryMissing(path: path) }
        return path
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "imagepatch binary not found at \(path): run `swift build` first (or set IMAGEPATCH_BIN)" }
    }
}
