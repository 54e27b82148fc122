import Foundation
import Glibc
import Testing

/// A container with no entryPoint and no command: `taskdef` reads the image's Entrypoint and Cmd
/// from a real registry (the CNCF distribution registry, `docker-registry serve`), for the task's
/// architecture, through the same registry client and credentials as `patch`.
@Suite("taskdef: image commands from a registry")
struct TaskDefinitionRegistryTests {
    @Test("Entrypoint and Cmd read per architecture; an image that is missing names the container and writes nothing")
    func resolvesThroughRegistry() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("taskdef-registry") { tmp in
            let registry = try await LocalRegistry.start(in: tmp)
            defer { registry.stop() }
            try await Oracles.skopeoCopy(from: fixtures.oci("app-oci", "1"), to: "docker://\(registry.host)/app:1", all: true,
                                         extra: ["--dest-tls-verify=false"])

            // A pull token for this registry: accepted, and harmless for a registry without auth.
            let config = #"{"auths":{"\#(registry.host)":{"auth":"\#(Data("tester:s3cret".utf8).base64EncodedString())"}}}"#
            let token = Data(config.utf8).base64EncodedString()

            for arm64 in [false, true] {
                var task: [String: Any] = [
                    "family": "app",
                    "containerDefinitions": [["name": "app", "image": "\(registry.host)/app:1", "essential": true]],
                ]
                if arm64 { task["runtimePlatform"] = ["cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"] }
                let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp), "-pulltoken", token])
                #expect(run.succeeded, "\(run)")
                let app = try Taskdef.container(try Taskdef.object(run.stdout), "app")
                #expect(app["entryPoint"] as? [String] == Taskdef.sidecarLauncher(arm64: arm64) + ["/app/run.sh"], "arm64=\(arm64)")
                #expect(app["command"] as? [String] == ["hello"], "arm64=\(arm64)")
                #expect(run.stderrLines.contains { $0.contains("container \"app\" had no entryPoint") && $0.contains(arm64 ? "arm64" : "amd64") })

                // The output says it explicitly, so patching it again needs no registry.
                let again = try await Taskdef.falcon(["-", "--insecure-registry", "unreachable.invalid"], stdin: run.stdout)
                #expect(again.stdout == run.stdout)
            }

            let task: [String: Any] = [
                "family": "app",
                "containerDefinitions": [
                    ["name": "app", "image": "\(registry.host)/app:1"],
                    ["name": "ghost", "image": "\(registry.host)/missing:1"],
                ],
            ]
            let output = tmp.appending("out.json")
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp), "--output", output])
            Expect.oneLineError(run, mentions: ["container \"ghost\"", "\(registry.host)/missing:1"])
            Expect.nothingWritten(at: output)
        }
    }
}

/// `docker-registry serve` on a free loopback port, with filesystem storage in the test's directory.
/// Never the system registry's config: REGISTRY_* variables (which override the file) are removed.
final class LocalRegistry: @unchecked Sendable {
    let process: Process
    let port: UInt16
    var host: String { "127.0.0.1:\(port)" }

    private init(process: Process, port: UInt16) {
        self.process = process
        self.port = port
    }

    static func start(in directory: TempDirectory) async throws -> LocalRegistry {
        let executable = try ProcessRunner.resolve("docker-registry")
        var lastLog = ""
        for attempt in 0..<5 {
            let port = try freePort()
            let storage = directory.appending("registry-data-\(attempt)")
            try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
            let config = directory.appending("registry-\(attempt).yml")
            try """
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: \(storage)
            http:
              addr: 127.0.0.1:\(port)
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let log = directory.appending("registry-\(attempt).log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))

            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["serve", config]
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REGISTRY_") }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let registry = LocalRegistry(process: process, port: port)
            for _ in 0..<300 where process.isRunning {
                if canConnect(port: port) { return registry }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            registry.stop()
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        throw RegistryDidNotStart(log: lastLog)
    }

    /// SIGTERM, then SIGKILL if it has not exited within ten seconds; waits for it either way.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct RegistryDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "docker-registry did not start answering on 127.0.0.1:\n\(log)" }
    }

    /// A port the kernel just handed out (bound, then released for the registry to take).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
