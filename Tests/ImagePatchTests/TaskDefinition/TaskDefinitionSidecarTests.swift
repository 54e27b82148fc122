import Foundation
import Testing

@Suite("taskdef: sidecar mode")
struct TaskDefinitionSidecarTests {
    @Test("an ARM64 task gets the aarch64 loader")
    func arm64() async throws {
        try await TempDirectory.with("taskdef-arm64") { tmp in
            var task = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))
            task["runtimePlatform"] = ["operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"]
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            #expect(run.succeeded, "\(run)")
            let app = try Taskdef.container(try Taskdef.object(run.stdout), "sample-fargate-app")
            #expect(app["entryPoint"] as? [String] == Taskdef.sidecarLauncher(arm64: true) + ["sh", "-c"])
        }
    }

    @Test("unsupported architectures and Windows tasks are refused")
    func unsupportedPlatforms() async throws {
        try await TempDirectory.with("taskdef-platform") { tmp in
            var task = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))
            task["runtimePlatform"] = ["cpuArchitecture": "RISCV"]
            var run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            Expect.oneLineError(run, mentions: ["cpuArchitecture", "RISCV"])
            task["runtimePlatform"] = ["operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"]
            run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp)])
            Expect.oneLineError(run, mentions: ["operatingSystemFamily", "WINDOWS_SERVER_2022_CORE"])
        }
    }

    @Test("several containers: each is patched once, the opted-out one is left exactly as it was")
    func severalContainersOneOptedOut() async throws {
        let input = try Taskdef.object(Taskdef.data("multi-container.json"))
        let run = try await Taskdef.falcon([Taskdef.path("multi-container.json")])
        #expect(run.succeeded, "\(run)")
        let task = try Taskdef.object(run.stdout)

        #expect(Taskdef.equal(try Taskdef.container(task, "log-router"), try Taskdef.container(input, "log-router")))
        #expect(run.stderrLines.contains { $0.contains("skipping container \"log-router\"") })

        let web = try Taskdef.container(task, "web")
        #expect(web["entryPoint"] as? [String] == Taskdef.sidecarLauncher() + ["/usr/local/bin/docker-entrypoint.sh"])
        #expect(web["command"] as? [String] == ["nginx", "-g", "daemon off;"])
        // The older FALCONCTL_OPTS is replaced in place; other variables stay.
        let env = try #require(web["environment"] as? [[String: String]])
        #expect(env == [["name": "FALCONCTL_OPTS", "value": "--cid=\(Taskdef.cid)"], ["name": "LISTEN", "value": "8080"]])
        let linux = try #require(web["linuxParameters"] as? [String: Any])
        #expect(linux["initProcessEnabled"] as? Bool == true)
        let capabilities = try #require(linux["capabilities"] as? [String: [String]])
        #expect(capabilities == ["add": ["NET_BIND_SERVICE", "SYS_PTRACE"], "drop": ["MKNOD"]])

        let worker = try Taskdef.container(task, "worker")
        #expect(worker["entryPoint"] as? [String] == Taskdef.sidecarLauncher() + ["python", "-m", "worker"])
        #expect(worker["command"] == nil, "no command was given, none is added")
        let mounts = try #require(worker["mountPoints"] as? [[String: Any]])
        #expect(mounts.map { $0["sourceVolume"] as? String } == ["scratch", "crowdstrike-falcon-volume"])
        let depends = try #require(worker["dependsOn"] as? [[String: String]])
        #expect(
            depends == [
                ["containerName": "web", "condition": "START"],
                ["containerName": "crowdstrike-falcon-init-container", "condition": "COMPLETE"],
            ])

        let names = try Taskdef.containers(task).compactMap { $0["name"] as? String }
        #expect(names == ["web", "worker", "log-router", "crowdstrike-falcon-init-container"])
        let volumes = try #require(task["volumes"] as? [[String: String]])
        #expect(volumes == [["name": "scratch"], ["name": "crowdstrike-falcon-volume"]])
    }

    @Test("every container opted out is refused, nothing written")
    func everyContainerOptedOut() async throws {
        try await TempDirectory.with("taskdef-optout") { tmp in
            var task = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))
            var containers = try Taskdef.containers(task)
            containers[0]["dockerLabels"] = ["sensor.falcon-system.crowdstrike.com/injection": "disabled"]
            task["containerDefinitions"] = containers
            let output = tmp.appending("out.json")
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp), "--output", output])
            Expect.oneLineError(run, mentions: ["nothing to patch", "injection=disabled"])
            Expect.nothingWritten(at: output)
        }
    }

    @Test("a container already named crowdstrike-falcon-init-container that is not ours is an error")
    func foreignInitContainer() async throws {
        try await TempDirectory.with("taskdef-foreign") { tmp in
            var task = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))
            var containers = try Taskdef.containers(task)
            containers.append(["name": "crowdstrike-falcon-init-container", "image": "busybox", "entryPoint": ["sleep", "1"]])
            task["containerDefinitions"] = containers
            let output = tmp.appending("out.json")
            let run = try await Taskdef.falcon([try Taskdef.write(task, to: tmp), "--output", output])
            Expect.oneLineError(run, mentions: ["crowdstrike-falcon-init-container", "did not add"])
            Expect.nothingWritten(at: output)
        }
    }

    @Test("the falcon utility's single-dash flags: -ecs-spec-file, -ecs-spec, -secret-arn, -falconctl-opts")
    func singleDashAliases() async throws {
        let secret = "arn:aws:secretsmanager:us-west-2:1234567890:secret:falcon-pull-AbCdEf"
        let fromFile = try await Taskdef.runOrThrow([
            "-ecs-spec-file", Taskdef.path("falcon-sample-before.json"), "-cid", Taskdef.cid,
            "-image", Taskdef.agentImage, "-secret-arn", secret,
            "-falconctl-opts", "--tags=web,prod --trace=err",
        ])
        let inline = try await Taskdef.runOrThrow([
            "--ecs-spec", String(decoding: try Taskdef.data("falcon-sample-before.json"), as: UTF8.self),
            "--cid", Taskdef.cid, "--agent-image", Taskdef.agentImage, "--secret-arn", secret,
            "--falconctl-opts", "--tags=web,prod --trace=err",
        ])
        #expect(fromFile.stdout == inline.stdout)
        let task = try Taskdef.object(fromFile.stdout)
        let initContainer = try Taskdef.container(task, "crowdstrike-falcon-init-container")
        #expect(initContainer["repositoryCredentials"] as? [String: String] == ["credentialsParameter": secret])
        let app = try Taskdef.container(task, "sample-fargate-app")
        #expect(
            app["environment"] as? [[String: String]] == [
                ["name": "FALCONCTL_OPTS", "value": "--cid=\(Taskdef.cid) --tags=web,prod --trace=err"]
            ])
    }

    @Test("-pulltoken takes a base64 Docker config, like --pull-token; a bad one is refused before anything is written")
    func pullTokenParsing() async throws {
        let config = #"{"auths":{"registry.example.com":{"auth":"\#(Data("AWS:secret".utf8).base64EncodedString())"}}}"#
        let token = Data(config.utf8).base64EncodedString()
        let before = Taskdef.path("falcon-sample-before.json")
        let single = try await Taskdef.falcon([before, "-pulltoken", token])
        let double = try await Taskdef.falcon([before, "--pulltoken", token])
        let registryFlag = try await Taskdef.falcon([before, "--pull-token", token])
        #expect(single.succeeded && double.succeeded && registryFlag.succeeded, "\(single)\n\(double)\n\(registryFlag)")
        #expect(single.stdout == double.stdout && double.stdout == registryFlag.stdout)

        try await TempDirectory.with("taskdef-pulltoken") { tmp in
            let output = tmp.appending("out.json")
            var run = try await Taskdef.falcon([before, "-pulltoken", "not base64 at all!", "--output", output])
            Expect.oneLineError(run, mentions: ["--pull-token", "base64"])
            Expect.nothingWritten(at: output)

            let notJSON = Data("just text".utf8).base64EncodedString()
            run = try await Taskdef.falcon([before, "-pulltoken", notJSON, "--output", output])
            Expect.oneLineError(run, mentions: ["--pull-token"])
            Expect.nothingWritten(at: output)

            run = try await Taskdef.falcon([before, "-pulltoken", token, "--pull-token", notJSON, "--output", output])
            Expect.oneLineError(run, mentions: ["--pulltoken", "--pull-token"])
            Expect.nothingWritten(at: output)
        }
    }

    @Test("falcon needs a valid CID and an agent image")
    func requiredFlags() async throws {
        let before = Taskdef.path("falcon-sample-before.json")
        Expect.oneLineError(try await Taskdef.run([before, "-image", Taskdef.agentImage]), mentions: ["--cid", "required"])
        Expect.oneLineError(
            try await Taskdef.run([before, "-image", Taskdef.agentImage, "-cid", "nope"]), mentions: ["--cid", "not a Falcon CID"])
        Expect.oneLineError(try await Taskdef.run([before, "-cid", Taskdef.cid]), mentions: ["--agent-image", "required"])
    }

    @Test("lacework: volumesFrom the non-essential datacollector-sidecar, dependsOn SUCCESS, its launcher")
    func laceworkSidecar() async throws {
        let image = "lacework/datacollector:latest-sidecar"
        let run = try await Taskdef.runOrThrow([
            Taskdef.path("falcon-sample-before.json"), "--preset", "lacework",
            "--agent-image", image, "--env", "LaceworkAccessToken=tok123",
        ])
        let task = try Taskdef.object(run.stdout)
        let sidecar = try Taskdef.container(task, "datacollector-sidecar")
        #expect(sidecar["image"] as? String == image)
        #expect(sidecar["essential"] as? Bool == false)
        #expect(sidecar["entryPoint"] == nil, "the sidecar image runs as built")

        let app = try Taskdef.container(task, "sample-fargate-app")
        #expect(app["volumesFrom"] as? [NSDictionary] == [["sourceContainer": "datacollector-sidecar", "readOnly": true]])
        #expect(app["dependsOn"] as? [[String: String]] == [["containerName": "datacollector-sidecar", "condition": "SUCCESS"]])
        #expect(app["entryPoint"] as? [String] == ["/var/lib/lacework-backup/lacework-sidecar.sh", "sh", "-c"])
        #expect(app["environment"] as? [[String: String]] == [["name": "LaceworkAccessToken", "value": "tok123"]])
        #expect(app["linuxParameters"] == nil, "lacework needs no SYS_PTRACE")
        #expect(app["mountPoints"] == nil)
        #expect(task["volumes"] == nil, "lacework shares the sidecar's own volume")

        let again = try await Taskdef.runOrThrow(
            [
                "-", "--preset", "lacework", "--agent-image", image,
                "--env", "LaceworkAccessToken=tok123",
            ], stdin: run.stdout)
        #expect(again.stdout == run.stdout)

        Expect.oneLineError(
            try await Taskdef.run([
                Taskdef.path("falcon-sample-before.json"), "--preset", "lacework",
                "--agent-image", image, "--cid", Taskdef.cid,
            ]), mentions: ["--cid", "falcon"])
    }
}
