import Foundation
import ImagePatch
import JSON
import OCI
import Testing

/// The sidecar patcher reads images only through `ImageCommandResolver`; a table stands in for the
/// registry here (the real registry is exercised once, in TaskDefinitionRegistryTests).
@Suite("taskdef: containers that leave the command to their image")
struct TaskDefinitionResolverTests {
    final class CountingResolver: ImageCommandResolver, @unchecked Sendable {
        let images: [String: ResolvedImage]
        private let lock = NSLock()
        private var calls: [String] = []

        init(_ images: [String: ResolvedImage]) { self.images = images }

        var requests: [String] { lock.withLock { calls } }

        func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
            lock.withLock { calls.append("\(image) \(platform)") }
            guard let found = images[image] else { throw TaskDefinitionEmbeddedTests.TableResolver.Missing(image: image) }
            return found
        }
    }

    static func patch(_ containers: [JSONObject], resolver: any ImageCommandResolver) async throws -> [JSONObject] {
        var options = SidecarOptions()
        options.agentImage = "falcon:1"
        options.cid = Taskdef.cid
        let document = try TaskDefinitionDocument(object: JSONObject([("containerDefinitions", .array(containers.map(JSONValue.object)))]))
        return try await SidecarPatcher(options: options, resolver: resolver).patch(document).document.containers
    }

    static func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.compactMap(\.stringValue) }

    @Test("Cmd only, a task command, and a shared image read once")
    func cases() async throws {
        let resolver = CountingResolver([
            "cmd-only:1": ResolvedImage(entrypoint: nil, cmd: ["/bin/server", "--port", "80"]),
            "app:1": ResolvedImage(entrypoint: ["/app/run.sh"], cmd: ["hello"]),
        ])
        let containers = try await Self.patch([
            JSONObject([("name", .string("a")), ("image", .string("cmd-only:1"))]),
            JSONObject([("name", .string("b")), ("image", .string("app:1")), ("command", .array([.string("bye")]))]),
            JSONObject([("name", .string("c")), ("image", .string("app:1"))]),
        ], resolver: resolver)
        let launcher = Taskdef.sidecarLauncher()
        #expect(Self.strings(containers[0]["entryPoint"]) == launcher)
        #expect(Self.strings(containers[0]["command"]) == ["/bin/server", "--port", "80"])
        #expect(Self.strings(containers[1]["entryPoint"]) == launcher + ["/app/run.sh"])
        #expect(Self.strings(containers[1]["command"]) == ["bye"], "the task's command wins over the image's Cmd")
        #expect(Self.strings(containers[2]["entryPoint"]) == launcher + ["/app/run.sh"])
        #expect(Self.strings(containers[2]["command"]) == ["hello"])
        #expect(resolver.requests == ["cmd-only:1 linux/amd64", "app:1 linux/amd64"])
    }

    @Test("an image with neither Entrypoint nor Cmd, and no task command, is an error naming the container")
    func nothingToRun() async throws {
        let resolver = CountingResolver(["scratch:1": ResolvedImage(entrypoint: nil, cmd: nil)])
        await #expect(throws: TaskDefinitionError.nothingToRun(container: "empty", image: "scratch:1")) {
            _ = try await Self.patch([JSONObject([("name", .string("empty")), ("image", .string("scratch:1"))])], resolver: resolver)
        }
    }

    @Test("containers with an entryPoint never reach the resolver")
    func offlineWhenExplicit() async throws {
        let resolver = CountingResolver([:])
        _ = try await Self.patch([JSONObject([("name", .string("x")), ("image", .string("x:1")),
                                              ("entryPoint", .array([.string("/x")]))])], resolver: resolver)
        #expect(resolver.requests.isEmpty)
    }
}
