import Foundation

/// One plain registry per test process, holding the app (`app:1`) and agent (`agent:7`) fixtures,
/// shared by the suites that only read from it (each writes to its own repository).
actor SharedRegistry {
    static let shared = SharedRegistry()
    private var server: Task<RegistryServer, Error>?

    func plain() async throws -> RegistryServer {
        if server == nil {
            server = Task {
                let fixtures = try await Fixtures.ready()
                let server = try await RegistryServer.start(.plain, label: "shared")
                try await server.push(layout: fixtures.oci("app-oci", "1"), as: "app:1")
                try await server.push(layout: fixtures.oci("agent-oci", "7"), as: "agent:7")
                atexit { SharedRegistry.stopAtExit() }
                SharedRegistry.directories.withLock { $0.append(server.directory) }
                return server
            }
        }
        return try await server!.value
    }

    /// Registries are separate processes: stop them when the test process ends.
    static let directories = Mutex<[String]>([])

    /// Plain posix_spawn and waitpid: Foundation's Process relies on threads that are gone at exit.
    nonisolated static func stopAtExit() {
        for directory in directories.withLock({ $0 }) {
            let arguments = [RegistryServer.script, "stop", "--dir", directory]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)  // keep the test log clean
            var pid: pid_t = 0
            guard posix_spawn(&pid, RegistryServer.script, &actions, nil, &argv, environ) == 0 else { continue }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Base-layer digests of the app fixture, for checking that none of them moved.
    static func baseLayerDigests() async throws -> Set<String> {
        let tag = try await Fixtures.ready().summary.tag("app-oci", "1")
        return Set((tag.manifests ?? [:]).values.flatMap { $0.layers.map(\.digest) })
    }
}

/// A small lock for shared test state.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Each test writes to a repository of its own, so tests can run in parallel on one registry.
func uniqueRepository(_ label: String) -> String { "\(label)-\(UUID().uuidString.prefix(8).lowercased())" }
