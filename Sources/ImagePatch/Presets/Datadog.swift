/// Datadog's serverless-init, the in-container agent Datadog documents for Cloud Run, Azure Container
/// Apps and Azure App Service (docs.datadoghq.com/serverless/guide/gcr_serverless_init,
/// …/serverless/guide/aca_serverless_init). On ECS Fargate Datadog documents its Agent as a separate
/// container instead (docs.datadoghq.com/integrations/ecs_fargate); the serverless-init image is
/// published on public.ecr.aws as well, and embedding it there is this preset's choice. The agent
/// image (`gcr.io/datadoghq/serverless-init`, also `datadog/serverless-init` and
/// `public.ecr.aws/datadog/serverless-init`) holds one binary, `/datadog-init`, which wraps the
/// application: it starts DogStatsD and trace listeners, then runs its arguments as a subprocess and
/// collects their stdout/stderr. What imagepatch does is what Datadog's Dockerfile instructions do:
///
///     COPY --from=datadog/serverless-init:1 /datadog-init /app/datadog-init
///     ENTRYPOINT ["/app/datadog-init"]
///
/// with the old Entrypoint after the launcher and Cmd kept, which is their "datadog-init as the first
/// command of the container" form.
///
/// Configuration is the `DD_*` environment, given with `--env` (DD_SERVICE, DD_ENV, DD_VERSION,
/// DD_SITE, DD_TAGS, DD_LOGS_ENABLED, …). The API key, DD_API_KEY, is a secret and must come at deploy
/// time (a Cloud Run or Container Apps secret, ECS task `secrets`): `--env DD_API_KEY=…` is refused,
/// since an image config and a task definition's environment are readable by everyone who can pull
/// or describe them.
public struct Datadog: AgentDefinition {
    public init() {}

    public var name: String { "datadog" }

    /// Only `/datadog-init`, as the Dockerfile instructions copy it. Not into `/app` as they do: the
    /// install directory is the agent's own (the agent layer holds its entry, so an application's
    /// `/app` would lose its mode and owner), so it gets a directory no application has.
    public var paths: AgentPaths {
        AgentPaths(installDirectory: "/opt/datadog-serverless-init", agentRoot: "/", includes: ["datadog-init"])
    }

    /// `COPY` keeps the binary's mode as the serverless-init image has it, and so does imagepatch.
    public var modes: AgentModePolicy { .asBuilt }

    public var launcher: AgentLauncherStrategy { .inInstallDirectory("datadog-init") }

    public static let apiKey = AgentSetting(.secret("DD_API_KEY"), meaning: "your Datadog API key")
    public static let site = AgentSetting(.environment("DD_SITE"), meaning: "the Datadog site, such as datadoghq.com or datadoghq.eu")
    public static let service = AgentSetting(.environment("DD_SERVICE"), meaning: "the service name")
    public static let environment = AgentSetting(.environment("DD_ENV"), meaning: "the env tag")
    public static let version = AgentSetting(.environment("DD_VERSION"), meaning: "the version tag")

    public var settings: [AgentSetting] { [Self.apiKey, Self.site, Self.service, Self.environment, Self.version] }

    /// Nothing beyond what `--env` gives (Datadog's own defaults apply: DD_SITE is datadoghq.com);
    /// DD_SITE, when given, must be a site name.
    public func imageEnvironment(_ values: AgentSettingValues, installDirectory: String) throws -> [(String, String)] {
        try Self.checkSite(values)
        return []
    }

    public func taskEnvironment(_ values: AgentSettingValues, use: AgentSettingUse) throws -> AgentTaskEnvironment {
        try Self.checkSite(values)
        return AgentTaskEnvironment()
    }

    /// serverless-init is the container's first process, not something another container can hand
    /// over; Datadog's separate-container form on ECS Fargate is its long-running Agent container,
    /// which is not an init container either.
    public var sidecar: AgentSidecarForm {
        .unavailable(
            reason:
                "has no sidecar form: serverless-init runs inside the application container as its first process; patch the image with `imagepatch patch --preset datadog`, then use --mode embedded"
        )
    }

    /// serverless-init wraps the process and listens on local ports; it traces nothing.
    public var linuxCapabilities: [String] { [] }

    /// A site is a host name (`datadoghq.eu`, `us5.datadoghq.com`): a URL or a typo would send every
    /// metric, trace and log nowhere, silently.
    static func checkSite(_ values: AgentSettingValues) throws {
        guard let site = values.value(site) else { return }
        let labels = site.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let isHostName =
            site.utf8.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                    && label.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
            }
        guard isHostName else {
            throw PatchError.invalidOption(
                "--env DD_SITE",
                "\(site.debugDescription) is not a Datadog site name (such as datadoghq.com or datadoghq.eu, without https://)")
        }
    }
}
