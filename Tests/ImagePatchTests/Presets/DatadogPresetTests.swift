import Foundation
import Testing

/// `--preset datadog` end to end: the real binary patches the app fixture with a serverless-init
/// stand-in, and skopeo, umoci and a chroot check the result; `taskdef` then uses it on a real registry.
@Suite("datadog preset")
struct DatadogPresetTests {
    static let launcher = ["/opt/datadog-serverless-init/datadog-init"]
    static let settings = ["--preset", "datadog", "--env", "DD_SERVICE=web", "--env", "DD_ENV=test", "--env", "DD_SITE=datadoghq.eu"]

    static func config(_ reference: String, arch: String) async throws -> [String: Any] {
        let config = try Oracles.jsonObject(try await Oracles.skopeoConfigRaw(reference, overrideArch: arch))
        return try #require(config["config"] as? [String: Any])
    }

    @Test("patch: datadog-init starts before the Entrypoint with the DD_* environment; skopeo and umoci accept it, and it runs")
    func patch() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("datadog") { tmp in
            let agent = try await DatadogAgentImage.make(at: tmp.appending("agent"))
            let layout = tmp.appending("out")
            let reference = "oci:\(layout):p"
            let source = fixtures.oci("app-oci", "1")
            let run = try await ImagePatchCLI.patch(
                source: source, agent: agent, target: reference, cid: nil, json: true, extra: Self.settings)
            #expect(run.succeeded, "\(run)")
            let result = try Oracles.jsonObject(run.stdout)
            let platforms = result["platforms"] as? [[String: Any]] ?? []
            #expect(platforms.count == 2)
            #expect(platforms.allSatisfy { $0["launcher"] as? [String] == Self.launcher })

            for arch in ["amd64", "arm64"] {
                let original = try await Self.config(source, arch: arch)
                let patched = try await Self.config(reference, arch: arch)
                let entrypoint = try #require(patched["Entrypoint"] as? [String])
                #expect(entrypoint == Self.launcher + (original["Entrypoint"] as? [String] ?? []), "\(arch)")
                #expect(patched["Cmd"] as? [String] == original["Cmd"] as? [String], "\(arch): Cmd kept")
                let env = patched["Env"] as? [String] ?? []
                #expect(Array(env.suffix(3)) == ["DD_SERVICE=web", "DD_ENV=test", "DD_SITE=datadoghq.eu"], "\(arch): \(env)")
                #expect(!env.contains { $0.hasPrefix("FALCONCTL_OPTS=") || $0.hasPrefix("CS_") || $0.hasPrefix("DD_API_KEY=") }, "\(env)")
                #expect((patched["Labels"] as? [String: String])?["io.imagepatch.agent.preset"] == "datadog")
            }
            try await Oracles.skopeoCopyAll(reference)

            let bundle = tmp.appending("bundle")
            try await Oracles.umociUnpack(layout: layout, tag: "p", bundle: bundle, arch: "amd64")
            let installed = bundle + "/rootfs/opt/datadog-serverless-init"
            #expect(try FileManager.default.contentsOfDirectory(atPath: installed) == ["datadog-init"], "only /datadog-init is taken")
            let mode = try FileManager.default.attributesOfItem(atPath: installed + "/datadog-init")[.posixPermissions] as? Int
            #expect(mode == 0o755, "the binary's mode is kept")
            #expect(!FileManager.default.fileExists(atPath: bundle + "/rootfs/etc/not-agent.conf"))

            let started = try await Oracles.runPatchedEntrypoint(bundle: bundle)
            #expect(started.exitCode == 0, "\(started)")
            let lines = started.stdoutLines
            let agentLine = lines.firstIndex(of: "datadog-init: started (DD_SERVICE=web DD_ENV=test DD_SITE=datadoghq.eu)")
            let appLine = lines.firstIndex(of: "app: started uid=0 args=hello")
            #expect(agentLine != nil && appLine != nil && agentLine! < appLine!, "datadog-init must start the application: \(lines)")
        }
    }

    @Test("patch refuses DD_API_KEY (without printing it), a URL for DD_SITE, and an agent image without /datadog-init")
    func refusals() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("datadog-refused") { tmp in
            let agent = try await DatadogAgentImage.make(at: tmp.appending("agent"))
            let source = fixtures.oci("app-oci", "single")
            let target = tmp.appending("out")
            let key = "3f9c0ffee3f9c0ffee3f9c0ffee3f9c0"
            let secret = try await ImagePatchCLI.patch(
                source: source, agent: agent, target: "oci:\(target):p", cid: nil,
                extra: ["--preset", "datadog", "--env", "DD_API_KEY=\(key)"])
            Expect.oneLineError(secret, mentions: ["--env DD_API_KEY", "secret", "deploy time"])
            #expect(!secret.stderrText.contains(key), "the key must not be printed")
            #expect(!FileManager.default.fileExists(atPath: target), "nothing is written")

            let url = try await ImagePatchCLI.patch(
                source: source, agent: agent, target: "oci:\(target):p", cid: nil,
                extra: ["--preset", "datadog", "--env", "DD_SITE=https://app.datadoghq.com"])
            Expect.oneLineError(url, mentions: ["DD_SITE", "https://app.datadoghq.com", "site name"])

            let notServerlessInit = try await DatadogAgentImage.make(at: tmp.appending("other"), launcher: false)
            let missing = try await ImagePatchCLI.patch(
                source: source, agent: notServerlessInit, target: "oci:\(target):p", cid: nil,
                extra: ["--preset", "datadog"])
            Expect.oneLineError(missing, mentions: ["datadog-init"])
            #expect(!FileManager.default.fileExists(atPath: target), "nothing is written")
        }
    }

    @Test("taskdef: no sidecar form; embedded mode pins the patched image and starts overrides with datadog-init, no SYS_PTRACE")
    func taskdef() async throws {
        let refused = try await Taskdef.run([
            Taskdef.path("falcon-sample-before.json"), "--preset", "datadog", "--agent-image", "gcr.io/datadoghq/serverless-init:1",
        ])
        Expect.oneLineError(refused, mentions: ["--preset datadog has no sidecar form", "--mode embedded"])

        let registry = try await SharedRegistry.shared.plain()  // holds app:1
        try await TempDirectory.with("datadog-taskdef") { tmp in
            let agent = try await DatadogAgentImage.make(at: tmp.appending("agent"))
            let target = "\(registry.host)/\(uniqueRepository("datadog/app")):1"
            let patched = try await ImagePatchCLI.patch(
                source: "\(registry.host)/app:1", agent: agent, target: target, cid: nil,
                json: true, extra: Self.settings)
            #expect(patched.succeeded, "\(patched)")
            let resultFile = tmp.appending("result.json")
            try patched.stdout.write(to: URL(fileURLWithPath: resultFile))
            let digest = try #require(try Oracles.jsonObject(patched.stdout)["digest"] as? String)

            let task: [String: Any] = [
                "family": "shop",
                "runtimePlatform": ["cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"],
                "containerDefinitions": [
                    [
                        "name": "api", "image": "\(registry.host)/app:1", "entryPoint": ["/app/run.sh"], "command": ["--serve"],
                        "environment": [["name": "DD_ENV", "value": "prod"]],
                    ]
                ],
            ]
            let taskFile = try Taskdef.write(task, to: tmp)
            let pinned = target.dropLast(":1".count) + "@" + digest
            // By the patch result (its launcher), and by --image-map with the tag (the registry gives the
            // digest and the image's launcher label): the same task either way.
            for mapping in [["--from-patch-result", resultFile], ["--image-map", "\(registry.host)/app:1=\(target)"]] {
                let run = try await Taskdef.run(
                    [taskFile, "--mode", "embedded", "--preset", "datadog", "--env", "DD_SERVICE=api"] + mapping)
                #expect(run.succeeded, "\(run)")
                let api = try Taskdef.container(try Taskdef.object(run.stdout), "api")
                #expect(api["image"] as? String == pinned, "\(mapping)")
                #expect(api["entryPoint"] as? [String] == Self.launcher + ["/app/run.sh"], "\(mapping)")
                #expect(api["command"] as? [String] == ["--serve"])
                #expect(
                    api["environment"] as? [[String: String]] == [
                        ["name": "DD_ENV", "value": "prod"], ["name": "DD_SERVICE", "value": "api"],
                    ])
                #expect(api["linuxParameters"] == nil, "serverless-init needs no SYS_PTRACE")
                #expect(!run.stderrLines.contains { $0.contains("--cid") })
            }

            let secret = try await Taskdef.run([
                taskFile, "--mode", "embedded", "--preset", "datadog", "--from-patch-result", resultFile,
                "--env", "DD_API_KEY=3f9c0ffee3f9c0ffee3f9c0ffee3f9c0",
            ])
            Expect.oneLineError(secret, mentions: ["--env DD_API_KEY", "secret", "task definition"])
            #expect(!secret.stderrText.contains("3f9c0ffee"))
        }
    }
}
