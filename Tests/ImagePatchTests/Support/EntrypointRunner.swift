import Foundation
import Glibc

/// The part of an OCI runtime spec (a bundle's config.json, as umoci writes it) needed to run its process.
struct RuntimeSpec: Decodable, Sendable {
    struct Process: Decodable, Sendable {
        struct User: Decodable, Sendable {
            var uid: UInt32
            var gid: UInt32
        }
        var args: [String]
        var env: [String]?
        var user: User
    }
    var process: Process

    static func read(bundle: String) throws -> RuntimeSpec {
        try decode(Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json")))
    }
}

extension Oracles {
    /// Runs a bundle's process the way a runtime would, minus namespaces: `chroot
    /// --userspec=UID:GID BUNDLE/rootfs ARGS...` with exactly the spec's environment (`env -i`).
    /// Foreign-architecture bundles run through qemu-user via binfmt_misc (see `Binfmt`).
    static func runPatchedEntrypoint(bundle: String) async throws -> ProcessResult {
        guard geteuid() == 0 else { throw NeedsRoot() }
        try await Binfmt.ensureRegistered()
        let spec = try RuntimeSpec.read(bundle: bundle).process
        var environment: [String: String?] = [:]
        for entry in spec.env ?? [] {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let chroot = try ProcessRunner.resolve("chroot")
        return try await ProcessRunner.run(
            chroot, ["--userspec=\(spec.user.uid):\(spec.user.gid)", bundle + "/rootfs"] + spec.args,
            environment: environment, clearEnvironment: true)
    }

    struct NeedsRoot: Error, CustomStringConvertible {
        var description: String { "running an image's entrypoint in a chroot needs root" }
    }
}

/// qemu-user registration for running arm64 binaries on an x86_64 host. The F flag makes the
/// kernel open the interpreter at registration time, so it works inside a chroot that has no qemu.
enum Binfmt {
    static let directory = "/proc/sys/fs/binfmt_misc"
    static let aarch64Entry = directory + "/qemu-aarch64"
    static let interpreter = "/usr/bin/qemu-aarch64-static"
    /// The kernel itself decodes the `\x` escapes, so they are written as literal text.
    static let aarch64Registration =
        #":qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F"#

    struct SetupFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Once per process: mount binfmt_misc if needed, register qemu-aarch64 (with F) if missing, enable it.
    static func ensureRegistered() async throws { try await Once.shared.run() }

    private actor Once {
        static let shared = Once()
        private var task: Task<Void, Error>?

        func run() async throws {
            if task == nil { task = Task { try await Binfmt.setUp() } }
            try await task!.value
        }
    }

    private static func setUp() async throws {
        var system = utsname()
        uname(&system)
        let machine = withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard machine == "x86_64" else { return }  // arm64 is native elsewhere; nothing else is tested

        let fm = FileManager.default
        if !fm.fileExists(atPath: directory + "/register") {
            let result = try await ProcessRunner.run("mount", ["-t", "binfmt_misc", "binfmt_misc", directory])
            guard result.succeeded else { throw SetupFailed(description: "cannot mount binfmt_misc: \(result)") }
        }
        // An entry without the F flag would look for the interpreter inside the chroot: replace it.
        if let existing = try? String(contentsOfFile: aarch64Entry, encoding: .utf8),
            !existing.split(separator: "\n").contains(where: { $0.hasPrefix("flags:") && $0.contains("F") })
        {
            try write("-1", to: aarch64Entry)
        }
        if !fm.fileExists(atPath: aarch64Entry) {
            guard fm.isExecutableFile(atPath: interpreter) else {
                throw SetupFailed(description: "\(interpreter) is missing (install qemu-user-static)")
            }
            try write(aarch64Registration, to: directory + "/register")
        }
        let status = (try? String(contentsOfFile: aarch64Entry, encoding: .utf8)) ?? ""
        if !status.hasPrefix("enabled") { try write("1", to: aarch64Entry) }
        let after = (try? String(contentsOfFile: aarch64Entry, encoding: .utf8)) ?? ""
        guard after.hasPrefix("enabled") else {
            throw SetupFailed(description: "\(aarch64Entry) is not enabled after registration:\n\(after)")
        }
    }

    /// One write(2) of the whole text, as binfmt_misc requires.
    private static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw SetupFailed(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw SetupFailed(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
