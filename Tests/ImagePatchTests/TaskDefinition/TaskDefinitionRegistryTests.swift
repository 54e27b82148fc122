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
        let registry = try await SharedRegistry.shared.plain()  // holds app:1
        try await TempDirectory.with("taskdef-registry") { tmp in

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
                #expect(
                    run.stderrLines.contains {
                        $0.contains("container \"app\" had no entryPoint") && $0.contains(arm64 ? "arm64" : "amd64")
                    })

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
