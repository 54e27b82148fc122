import Foundation
import Glibc

/// A fresh directory for one test, removed when the test's body returns or throws.
struct TempDirectory: Sendable {
    let path: String

    /// Runs `body` with a new empty directory and removes the directory afterwards.
    static func with<T>(_ label: String = "test", _ body: (TempDirectory) async throws -> T) async throws -> T {
        let directory = try TempDirectory(label: label)
        defer { directory.remove() }
        return try await body(directory)
    }

    /// Prefer `with(_:_:)`; a directory made here must be removed with `remove()`.
    init(label: String = "test", in parent: String = NSTemporaryDirectory()) throws {
        path = try Self.make(in: parent, prefix: "imagepatch-it-\(label)-")
    }

    func appending(_ name: String) -> String { path + "/" + name }

    /// Names directly inside the directory (hidden ones too).
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static func make(in parent: String, prefix: String) throws -> String {
        let base = parent.hasSuffix("/") ? String(parent.dropLast()) : parent
        var template = Array("\(base)/\(prefix)XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        return String(cString: made)
    }
}

/// One directory per test process for outputs that several tests share (the patched image each
/// suite reuses, its unpacked bundles). Removed when the process exits; directories left by a
/// process that was killed are removed by the next run.
enum SharedScratch {
    private static let prefix = "imagepatch-it-shared-"

    static let path: String = {
        let parent = NSTemporaryDirectory()
        removeStale(in: parent)
        let path = try! TempDirectory.make(in: parent, prefix: "\(prefix)\(getpid())-")
        atexit { try? FileManager.default.removeItem(atPath: SharedScratch.path) }
        return path
    }()

    /// A new empty subdirectory of the shared scratch directory.
    static func directory(_ label: String) throws -> String {
        try TempDirectory.make(in: path, prefix: label + "-")
    }

    private static func removeStale(in parent: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (parent.hasSuffix("/") ? parent : parent + "/") + name)
            }
        }
    }
}
