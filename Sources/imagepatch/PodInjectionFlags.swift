import ArgumentParser
import ImagePatch
import Kubernetes
import Logging
import TaskDefinition

/// The flags that decide what is injected into a pod, shared by `k8s inject` (manifests) and
/// `k8s webhook` (live), so both write the same pod.
struct PodInjectionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Agent preset: \(AgentRegistry.list(PodInjector.podPresetNames))."))
    var preset: String = "falcon"

    @Option(
        name: [.customLong("agent-image"), .customLong("image"), .customLong("image", withSingleDash: true)],
        help: "The agent image the init container runs (e.g. the Falcon container sensor in your registry).")
    var agentImage: String?

    @OptionGroup var agentSettings: AgentSettingFlags

    @Option(
        name: [.customLong("pulltoken"), .customLong("pulltoken", withSingleDash: true)],
        help: "Same as --pull-token (the Falcon patching utility's spelling).")
    var pulltoken: String?

    @Option(help: "K=V added to every patched container's environment (repeatable).")
    var env: [String] = []

    @OptionGroup var registryFlags: RegistryFlags

    /// The injector; `cachingLookups` wraps the registry reads of Entrypoint/Cmd (the webhook keeps
    /// them across reviews).
    func makeInjector(
        logger: Logger,
        cachingLookups: (any ImageCommandResolver) -> any ImageCommandResolver = { $0 }
    ) throws -> PodInjector {
        guard let preset = AgentPreset(rawValue: preset) else { throw AgentRegistry.unknownPreset(preset) }
        var options = PodInjectionOptions()
        options.preset = preset
        options.agentImage = agentImage
        options.agentSettings = agentSettings.values
        options.env = try env.map { try PatchCommand.keyValue($0, option: "--env") }
        let resolver = try registryFlags.deployTimeImageResolver(pulltoken: pulltoken, agentImage: agentImage, logger: logger)
        return try PodInjector(options: options, resolver: cachingLookups(resolver))
    }
}
