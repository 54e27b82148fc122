import Foundation
import ImagePatch
import JSON
import OCI
import TaskDefinition
import Testing

@Suite("taskdef: embedded mode")
struct TaskDefinitionEmbeddedTests {
    static let webImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:3.1"
    static let patchedDigest = "sha256:" + String(repeating: "c", count: 64)
    static let patchedImage = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web-falcon@" + patchedDigest
    static let embeddedLauncher = [
        "/opt/CrowdStrike/rootfs/lib64/ld-linux-x86-64.so.2", "--library-path", "/opt/CrowdStrike/rootfs/lib64",
        "/opt/CrowdStrike/rootfs/bin/bash", "/opt/CrowdStrike/rootfs/entrypoint-ecs.sh",
    ]

    static var launcherJSON: String {
        "[" + embeddedLauncher.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// Offline: NEW is pinned already and --launcher is given, so no registry is asked (the ECR
    /// host in the test data does not resolve; any attempt would fail the run).
    @Test("--image-map: the patched image pinned by digest, SYS_PTRACE, FALCONCTL_OPTS, launcher; others untouched")
    func imageMap() async throws {
        let input = try Taskdef.object(Taskdef.data("multi-container.json"))
        let arguments = [
            "--mode", "embedded", "--image-map", "\(Self.webImage)=\(Self.patchedImage)", "-cid", Taskdef.cid,
            "--launcher", Self.launcherJSON,
        ]
        let run = try await Taskdef.run([Taskdef.path("multi-container.json")] + arguments)
        #expect(run.succeeded, "\(run)")
        let task = try Taskdef.object(run.stdout)
        let web = try Taskdef.container(task, "web")
        #expect(web["image"] as? String == Self.patchedImage)
        let capabilities = (web["linuxParameters"] as? [String: Any])?["capabilities"] as? [String: [String]]
        #expect(capabilities?["add"] == ["NET_BIND_SERVICE", "SYS_PTRACE"])
        #expect((web["environment"] as? [[String: String]])?.first == ["name": "FALCONCTL_OPTS", "value": "--cid=\(Taskdef.cid)"])
        // The task's entryPoint replaces the patched image's and would bypass the agent.
        #expect(web["entryPoint"] as? [String] == Self.embeddedLauncher + ["/usr/local/bin/docker-entrypoint.sh"])
        #expect(run.stderrLines.contains { $0.contains("container \"web\" sets entryPoint") })

        for name in ["worker", "log-router"] {
            #expect(Taskdef.equal(try Taskdef.container(task, name), try Taskdef.container(input, name)), "\(name) must not change")
        }
        #expect(try Taskdef.containers(task).count == 3, "no sidecar in embedded mode")
        #expect(task["volumes"] as? [[String: String]] == [["name": "scratch"]])

        let again = try await Taskdef.run(["-"] + arguments, stdin: run.stdout)
        #expect(again.succeeded, "\(again)")
        #expect(again.stdout == run.stdout, "a second run changes nothing")
    }

    @Test("--from-patch-result: matched by source digest, pinned to the result's digest, launcher from the result")
    func fromPatchResult() async throws {
        try await TempDirectory.with("taskdef-result") { tmp in
            let amd64Source = "registry.example.com/shop/web@sha256:" + String(repeating: "a", count: 64)
            let task: [String: Any] = [
                "family": "shop",
                "runtimePlatform": ["cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"],
                "containerDefinitions": [
                    ["name": "api", "image": amd64Source, "entryPoint": ["/app/run.sh"], "command": ["--serve"]],
                    ["name": "plain", "image": amd64Source],
                    ["name": "other", "image": "registry.example.com/shop/other@sha256:" + String(repeating: "d", count: 64)],
                ],
            ]
            let run = try await Taskdef.run([
                try Taskdef.write(task, to: tmp), "--mode", "embedded",
                "--from-patch-result", Taskdef.path("patch-result.json"),
            ])
            #expect(run.succeeded, "\(run)")
            let out = try Taskdef.object(run.stdout)
            let pinned = "registry.example.com/shop/web@sha256:" + String(repeating: "1", count: 64)
            let api = try Taskdef.container(out, "api")
            #expect(api["image"] as? String == pinned)
            // ARM64 task: the arm64 launcher the patch result reports.
            #expect(
                api["entryPoint"] as? [String] == [
                    "/opt/CrowdStrike/rootfs/lib64/ld-linux-aarch64.so.1", "--library-path",
                    "/opt/CrowdStrike/rootfs/lib64", "/opt/CrowdStrike/rootfs/bin/bash",
                    "/opt/CrowdStrike/rootfs/entrypoint-ecs.sh", "/app/run.sh",
                ])
            #expect(api["command"] as? [String] == ["--serve"])
            let plain = try Taskdef.container(out, "plain")
            #expect(plain["image"] as? String == pinned)
            #expect(plain["entryPoint"] == nil, "the patched image's own Entrypoint already starts the agent")
            #expect(api["environment"] == nil, "no --cid: the patched image carries FALCONCTL_OPTS")
            #expect(run.stderrLines.contains { $0.contains("no --cid") })
            #expect(Taskdef.equal(try Taskdef.container(out, "other"), (task["containerDefinitions"] as? [[String: Any]])?[2]))

            // A result written to a local layout cannot be pulled by ECS.
            var result = try Taskdef.object(Taskdef.data("patch-result.json"))
            result["target"] = "oci:/tmp/layout:patched"
            let resultFile = try Taskdef.write(result, to: tmp, name: "result.json")
            let output = tmp.appending("out.json")
            let refused = try await Taskdef.run([
                try Taskdef.write(task, to: tmp), "--mode", "embedded",
                "--from-patch-result", resultFile, "--output", output,
            ])
            Expect.oneLineError(refused, mentions: ["container \"api\"", "oci:/tmp/layout:patched"])
            Expect.nothingWritten(at: output)
        }
    }

    @Test("embedded mode needs a mapping, and refuses a task that uses none of the mapped images")
    func needsMapping() async throws {
        let file = Taskdef.path("multi-container.json")
        Expect.oneLineError(try await Taskdef.run([file, "--mode", "embedded"]), mentions: ["--image-map", "--from-patch-result"])
        Expect.oneLineError(
            try await Taskdef.run([file, "--mode", "embedded", "--image-map", "nginx:1=nginx-falcon@\(Self.patchedDigest)"]),
            mentions: ["nothing to patch", "shop/web:3.1"])
        Expect.oneLineError(
            try await Taskdef.run([file, "--mode", "embedded", "--from-patch-result", Taskdef.path("falcon-sample-before.json")]),
            mentions: ["patch result", "target"])
    }

    // MARK: through the resolver protocol, with a table instead of a registry

    struct TableResolver: ImageCommandResolver {
        let images: [String: ResolvedImage]
        func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
            guard let found = images[image] else { throw Missing(image: image) }
            return found
        }
        struct Missing: Error, CustomStringConvertible {
            let image: String
            var description: String { "\(image) is not in the table" }
        }
    }

    static func document(_ containers: [JSONObject]) throws -> TaskDefinitionDocument {
        try TaskDefinitionDocument(
            object: JSONObject([
                ("family", .string("t")),
                ("containerDefinitions", .array(containers.map(JSONValue.object))),
            ]))
    }

    static func container(_ name: String, image: String, entryPoint: [String]? = nil) -> JSONObject {
        var object = JSONObject([("name", .string(name)), ("image", .string(image))])
        if let entryPoint { object["entryPoint"] = .array(entryPoint.map(JSONValue.string)) }
        return object
    }

    @Test("--image-map NEW by tag: pinned to the digest the registry reports, launcher from the image's label")
    func imageMapReadsRegistry() async throws {
        let digest = try Digest(parsing: Self.patchedDigest)
        let launcher = ["/opt/CrowdStrike/rootfs/falcon-entrypoint"]
        let resolved = ResolvedImage(
            rootDigest: digest, platformDigest: digest, entrypoint: launcher + ["/app"], cmd: nil,
            labels: ["io.imagepatch.launcher": #"["/opt/CrowdStrike/rootfs/falcon-entrypoint"]"#])
        let resolver = TableResolver(images: ["reg.example/app:2-falcon": resolved, "reg.example/app@\(Self.patchedDigest)": resolved])
        var options = EmbeddedOptions()
        options.imageMap = [(old: "reg.example/app:2", new: "reg.example/app:2-falcon")]
        let patcher = try EmbeddedPatcher(options: options, resolver: resolver)
        let result = try await patcher.patch(try Self.document([Self.container("a", image: "reg.example/app:2", entryPoint: ["/bin/sh"])]))
        let a = try #require(result.document.containers.first)
        #expect(a["image"]?.stringValue == "reg.example/app@\(Self.patchedDigest)")
        #expect(a["entryPoint"]?.arrayValue?.compactMap(\.stringValue) == launcher + ["/bin/sh"])

        let again = try await patcher.patch(result.document)
        #expect(again.document.serialized() == result.document.serialized())
    }

    @Test("--from-patch-result without digests in the task: the container's image is read to compare digests")
    func patchResultMatchedThroughRegistry() async throws {
        let source = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        let other = try Digest(parsing: "sha256:" + String(repeating: "e", count: 64))
        let resolver = TableResolver(images: [
            "registry.example.com/shop/web:3.1": ResolvedImage(rootDigest: other, platformDigest: source, entrypoint: ["/w"], cmd: nil),
            "registry.example.com/shop/db:1": ResolvedImage(rootDigest: other, platformDigest: other, entrypoint: ["/d"], cmd: nil),
        ])
        var options = EmbeddedOptions()
        options.patchResults = [try PatchResultFile(bytes: Array(try Taskdef.data("patch-result.json")), file: "patch-result.json")]
        let patcher = try EmbeddedPatcher(options: options, resolver: resolver)
        let result = try await patcher.patch(
            try Self.document([
                Self.container("web", image: "registry.example.com/shop/web:3.1"),
                Self.container("db", image: "registry.example.com/shop/db:1"),
            ]))
        let containers = result.document.containers
        #expect(containers[0]["image"]?.stringValue == "registry.example.com/shop/web@sha256:" + String(repeating: "1", count: 64))
        #expect(containers[1] == Self.container("db", image: "registry.example.com/shop/db:1"))

        // redis:7 cannot be read: the error names the container and the image.
        do {
            _ = try await patcher.patch(try Self.document([Self.container("cache", image: "redis:7")]))
            Issue.record("an unreadable image must be an error")
        } catch let error as TaskDefinitionError {
            #expect("\(error)".contains("container \"cache\"") && "\(error)".contains("redis:7"), "\(error)")
        }
    }
}
