import ImagePatch
import TaskDefinition
import Testing

/// Each preset's settings, checked where they are used: `patch` (through `ResolvedSettings`) and the
/// two `taskdef` modes (through the patchers, which check them when they are made).
@Suite("Agent settings")
struct AgentSettingsTests {
    static let cid = "0123456789abcdef0123456789abcdef-12"

    struct Case: Sendable, CustomTestStringConvertible {
        var preset: String
        var use: AgentSettingUse
        var flags: [String: String] = [:]
        var env: [String] = []
        /// nil: accepted. Otherwise the whole error line.
        var error: String?
        /// When accepted: the environment the settings give (image: the whole config Env added;
        /// task: what each container gets), as NAME=VALUE.
        var environment: [String] = []

        var testDescription: String { "\(preset) \(use) \(flags.sorted { $0.key < $1.key }) \(env) -> \(error ?? "ok")" }
    }

    static let cases: [Case] = [
        // falcon, patch
        Case(preset: "falcon", use: .image, error: "--cid is required with the falcon preset (your Falcon customer ID)"),
        Case(preset: "falcon", use: .image, flags: ["cid": "0123"], error: "--cid is not a Falcon CID (32 hex digits, optionally -XX)"),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "cloud-service": "GKE"],
            error: "--cloud-service must be one of ECS_FARGATE, ACA, ACI, CLOUDRUN"),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid],
            environment: ["FALCONCTL_OPTS=--cid=\(cid)", "CS_CLOUD_SERVICE=ECS_FARGATE", "__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs"]),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "falconctl-opts": "--tags=web", "cloud-service": "ACA", "container": "web"],
            env: ["CS_CLOUD_SERVICE=CLOUDRUN", "TEAM=shop"],
            environment: [
                "FALCONCTL_OPTS=--cid=\(cid) --tags=web", "CS_CONTAINER=web", "__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs",
                "CS_CLOUD_SERVICE=CLOUDRUN", "TEAM=shop",
            ]),
        // falconutil's Azure flags: ACI takes all three, ACA the resource group and subscription.
        Case(
            preset: "falcon", use: .image,
            flags: [
                "cid": cid, "cloud-service": "ACI", "container": "web", "container-group": "shop-cg", "resource-group": "shop-rg",
                "subscription": "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
            ],
            environment: [
                "FALCONCTL_OPTS=--cid=\(cid)", "CS_CLOUD_SERVICE=ACI", "CS_CONTAINER=web", "CS_AZURE_CONTAINER_GROUP=shop-cg",
                "CS_AZURE_RESOURCE_GROUP=shop-rg", "CS_AZURE_SUBSCRIPTION=0b1f6471-1bf0-4dda-aec3-cb9272f09590",
                "__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs",
            ]),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "cloud-service": "ACA", "resource-group": "shop-rg"],
            environment: [
                "FALCONCTL_OPTS=--cid=\(cid)", "CS_CLOUD_SERVICE=ACA", "CS_AZURE_RESOURCE_GROUP=shop-rg",
                "__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs",
            ]),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "cloud-service": "ACA", "container-group": "shop-cg"],
            error: "--container-group describes Azure ACI: give it with --cloud-service ACI"),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "subscription": "0b1f6471-1bf0-4dda-aec3-cb9272f09590"],
            error: "--subscription describes Azure ACI and ACA: give it with --cloud-service ACI or ACA"),
        Case(
            preset: "falcon", use: .image, flags: ["cid": cid, "cloud-service": "ACI", "resource-group": ""],
            error: "--resource-group is empty"),
        // falcon, taskdef
        Case(preset: "falcon", use: .taskSidecar, error: "--cid is required with the falcon preset (your Falcon customer ID)"),
        Case(
            preset: "falcon", use: .taskSidecar, flags: ["cid": "full-width０"],
            error: "--cid is not a Falcon CID (32 hex digits, optionally -XX)"),
        Case(
            preset: "falcon", use: .taskSidecar, flags: ["cid": cid, "falconctl-opts": "--trace=err"],
            environment: ["FALCONCTL_OPTS=--cid=\(cid) --trace=err"]),
        Case(preset: "falcon", use: .taskEmbedded),
        Case(preset: "falcon", use: .taskEmbedded, flags: ["falconctl-opts": "--trace=err"], error: "--falconctl-opts needs --cid"),
        Case(preset: "falcon", use: .taskEmbedded, flags: ["cid": cid], environment: ["FALCONCTL_OPTS=--cid=\(cid)"]),
        // lacework: no settings of its own; patch ignores falcon's (a fleet file may set them for others), taskdef refuses them
        Case(preset: "lacework", use: .image, flags: ["cid": cid], env: ["LaceworkAccessToken=t"], environment: ["LaceworkAccessToken=t"]),
        Case(preset: "lacework", use: .taskSidecar, flags: ["cid": cid], error: "--cid is only for the falcon preset"),
        Case(
            preset: "lacework", use: .taskEmbedded, flags: ["falconctl-opts": "x"], error: "--falconctl-opts is only for the falcon preset"),
        // none
        Case(preset: "none", use: .image, flags: ["cloud-service": "GKE"], env: ["A=1"], environment: ["A=1"]),
        Case(preset: "none", use: .taskEmbedded, flags: ["cid": cid], error: "--cid is only for the falcon preset"),
        // datadog: DD_* by --env; the API key never
        Case(
            preset: "datadog", use: .image, env: ["DD_SERVICE=web", "DD_ENV=prod", "DD_VERSION=1.2", "DD_SITE=datadoghq.eu"],
            environment: ["DD_SERVICE=web", "DD_ENV=prod", "DD_VERSION=1.2", "DD_SITE=datadoghq.eu"]),
        Case(preset: "datadog", use: .image, env: ["DD_SITE=us5.datadoghq.com"], environment: ["DD_SITE=us5.datadoghq.com"]),
        Case(
            preset: "datadog", use: .image, env: ["DD_SITE=https://datadoghq.eu"],
            error:
                #"--env DD_SITE "https://datadoghq.eu" is not a Datadog site name (such as datadoghq.com or datadoghq.eu, without https://)"#
        ),
        Case(
            preset: "datadog", use: .image, env: ["DD_SITE=datadoghq"],
            error: #"--env DD_SITE "datadoghq" is not a Datadog site name (such as datadoghq.com or datadoghq.eu, without https://)"#),
        Case(
            preset: "datadog", use: .image, env: ["DD_API_KEY=0123456789abcdef"],
            error:
                "--env DD_API_KEY is a secret (your Datadog API key) and would be readable by everyone who can read the image's config; give it at deploy time instead (ECS task secrets, a Cloud Run or Container Apps secret)"
        ),
        Case(
            preset: "datadog", use: .taskEmbedded, env: ["DD_API_KEY=0123456789abcdef"],
            error:
                "--env DD_API_KEY is a secret (your Datadog API key) and would be readable by everyone who can read the task definition; give it at deploy time instead (ECS task secrets, a Cloud Run or Container Apps secret)"
        ),
        Case(
            preset: "datadog", use: .taskEmbedded, env: ["DD_SITE=DATADOGHQ.COM"],
            error: #"--env DD_SITE "DATADOGHQ.COM" is not a Datadog site name (such as datadoghq.com or datadoghq.eu, without https://)"#),
        Case(preset: "datadog", use: .taskEmbedded, flags: ["cid": cid], error: "--cid is only for the falcon preset"),
        Case(preset: "datadog", use: .taskEmbedded, env: ["DD_SERVICE=web"], environment: ["DD_SERVICE=web"]),
        Case(
            preset: "datadog", use: .taskSidecar, env: ["DD_SERVICE=web"],
            error:
                "--preset datadog has no sidecar form: serverless-init runs inside the application container as its first process; patch the image with `imagepatch patch --preset datadog`, then use --mode embedded"
        ),
    ]

    /// Runs the check where the commands run it; returns the environment the settings give.
    static func apply(_ c: Case) async throws -> [String] {
        let preset = try #require(AgentPreset(rawValue: c.preset))
        let env = c.env.map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        switch c.use {
        case .image:
            var options = PatchOptions()
            options.preset = preset
            if c.preset == "none" {
                options.installDirectory = "/opt/agent"
                options.launcher = ["/opt/agent/run"]
            }
            options.agentSettings = c.flags
            options.env = env
            return try ResolvedSettings(options).env.map { "\($0.0)=\($0.1)" }
        case .taskSidecar, .taskEmbedded:
            // The patched container shows what the settings gave (its environment starts empty).
            let document = try TaskDefinitionEmbeddedTests.document([
                TaskDefinitionEmbeddedTests.container(
                    "app", image: "reg.example/app@" + TaskDefinitionEmbeddedTests.patchedDigest,
                    entryPoint: ["/app"])
            ])
            let result: TaskPatchResult
            if c.use == .taskSidecar {
                var options = SidecarOptions()
                options.preset = preset
                options.agentImage = "reg.example/agent:1"
                options.agentSettings = c.flags
                options.env = env
                result = try await SidecarPatcher(options: options, resolver: TaskDefinitionEmbeddedTests.TableResolver(images: [:]))
                    .patch(document)
            } else {
                var options = EmbeddedOptions()
                options.preset = preset
                options.imageMap = [(old: "reg.example/app", new: "reg.example/app@" + TaskDefinitionEmbeddedTests.patchedDigest)]
                options.launcher = ["/agent/run"]
                options.agentSettings = c.flags
                options.env = env
                result = try await EmbeddedPatcher(options: options, resolver: TaskDefinitionEmbeddedTests.TableResolver(images: [:]))
                    .patch(document)
            }
            let app = try #require(result.document.containers.first { $0["name"]?.stringValue == "app" })
            return (app["environment"]?.arrayValue ?? []).compactMap { entry in
                guard let name = entry["name"]?.stringValue, let value = entry["value"]?.stringValue else { return nil }
                return "\(name)=\(value)"
            }
        }
    }

    @Test("each preset's settings are checked, and give their environment", arguments: cases)
    func settings(_ c: Case) async throws {
        do {
            let environment = try await Self.apply(c)
            #expect(c.error == nil, "accepted, but should be refused with \(c.error ?? "")")
            if c.error == nil { #expect(environment == c.environment) }
        } catch {
            #expect("\(error)" == c.error)
            if let secret = c.env.first(where: { $0.hasPrefix("DD_API_KEY=") }) {
                #expect(!"\(error)".contains(secret.dropFirst("DD_API_KEY=".count)), "the secret's value must not be in the error")
            }
        }
    }

    @Test("falcon in embedded mode without --cid says the images must carry it")
    func embeddedNotice() async throws {
        var options = EmbeddedOptions()
        options.imageMap = [(old: "reg.example/app", new: "reg.example/app@" + TaskDefinitionEmbeddedTests.patchedDigest)]
        let document = try TaskDefinitionEmbeddedTests.document([TaskDefinitionEmbeddedTests.container("app", image: "reg.example/app")])
        let patcher = try EmbeddedPatcher(options: options, resolver: TaskDefinitionEmbeddedTests.TableResolver(images: [:]))
        #expect(
            try await patcher.patch(document).notices.contains(
                "no --cid: the containers rely on the FALCONCTL_OPTS their patched images carry"))
        options.preset = try #require(AgentPreset(rawValue: "datadog"))
        let datadog = try EmbeddedPatcher(options: options, resolver: TaskDefinitionEmbeddedTests.TableResolver(images: [:]))
        #expect(try await !datadog.patch(document).notices.contains { $0.contains("--cid") })
    }
}
