import Foundation
import ImagePatch
import JSON
import OCI
import TaskDefinition
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
        options.agentSettings["cid"] = Taskdef.cid
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
        let containers = try await Self.patch(
            [
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

    struct ConfigCase: Sendable, CustomTestStringConvertible {
        let field: String
        let json: String
        /// Where the error says the wrong type is, and what it says.
        let place: String
        let reason: String
        var testDescription: String { "\(field) \(json)" }
    }

    static let wrongConfigTypes = [
        ConfigCase(
            field: "Entrypoint", json: #""/bin/sh -c run""#, place: "Entrypoint", reason: "must be an array of strings, not a string"),
        ConfigCase(field: "Entrypoint", json: #"{"sh": "-c"}"#, place: "Entrypoint", reason: "must be an array of strings, not an object"),
        ConfigCase(field: "Entrypoint", json: #"["/bin/sh", 1]"#, place: "Entrypoint[1]", reason: "must be a string, not a number"),
        ConfigCase(field: "Cmd", json: #""run""#, place: "Cmd", reason: "must be an array of strings, not a string"),
        ConfigCase(field: "Cmd", json: #"[null]"#, place: "Cmd[0]", reason: "must be a string, not null"),
    ]

    @Test(
        "an image config whose Entrypoint or Cmd has the wrong JSON type is refused, naming the container and the image",
        arguments: wrongConfigTypes)
    func wrongConfigType(_ bad: ConfigCase) async throws {
        try await TempDirectory.with("taskdef-config") { tmp in
            let good = try Self.layout(config: #"{"Entrypoint": ["/bin/sh"], "Cmd": ["run"]}"#, at: tmp.appending("good"))
            let containers = try await Self.patch([JSONObject([("name", .string("app")), ("image", .string("good:1"))])], resolver: good)
            #expect(Self.strings(containers[0]["entryPoint"]) == Taskdef.sidecarLauncher() + ["/bin/sh"], "the control case")

            let resolver = try Self.layout(config: #"{"\#(bad.field)": \#(bad.json)}"#, at: tmp.appending("bad"))
            await #expect(
                throws: TaskDefinitionError.badImageConfig(container: "app", image: "bad:1", field: bad.place, reason: bad.reason)
            ) {
                _ = try await Self.patch([JSONObject([("name", .string("app")), ("image", .string("bad:1"))])], resolver: resolver)
            }
        }
    }

    /// An OCI layout holding one linux/amd64 image (no layers) whose config's `config` is `runtime`,
    /// opened by a resolver the way the command line opens registry images.
    static func layout(config runtime: String, at directory: String) throws -> InspectingImageResolver {
        let blobs = directory + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func blob(_ text: String) throws -> (digest: String, size: Int) {
            let data = Data(text.utf8)
            let digest = sha256Digest(data)
            try data.write(to: URL(fileURLWithPath: blobs + "/" + digest.dropFirst("sha256:".count)))
            return (digest, data.count)
        }
        let config = try blob(
            #"{"architecture": "amd64", "os": "linux", "config": \#(runtime), "rootfs": {"type": "layers", "diff_ids": []}}"#)
        let manifest = try blob(
            #"{"schemaVersion": 2, "mediaType": "\#(MediaTypes.ociManifest)", "config": {"mediaType": "\#(MediaTypes.ociConfig)", "digest": "\#(config.digest)", "size": \#(config.size)}, "layers": []}"#
        )
        try Data(
            #"{"schemaVersion": 2, "manifests": [{"mediaType": "\#(MediaTypes.ociManifest)", "digest": "\#(manifest.digest)", "size": \#(manifest.size)}]}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: directory + "/index.json"))
        try Data(#"{"imageLayoutVersion": "1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        return InspectingImageResolver { _ in try OCILayoutSource(directory: directory, tag: nil, reference: "oci:" + directory) }
    }

    @Test("containers with an entryPoint never reach the resolver")
    func offlineWhenExplicit() async throws {
        let resolver = CountingResolver([:])
        _ = try await Self.patch(
            [
                JSONObject([
                    ("name", .string("x")), ("image", .string("x:1")),
                    ("entryPoint", .array([.string("/x")])),
                ])
            ], resolver: resolver)
        #expect(resolver.requests.isEmpty)
    }
}
