import ArgumentParser
import Foundation
import ImagePatch
import Kubernetes

/// `imagepatch k8s install`: the manifests that run `imagepatch k8s webhook` in a cluster, for
/// `kubectl apply -f -`. Offline: the TLS material is made here (or left to cert-manager).
struct K8sInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Print the manifests of the injecting admission webhook (pipe them to `kubectl apply -f -`).",
        discussion: """
            Prints, as one YAML stream: the Namespace (opted out of injection), a ServiceAccount, a TLS Secret \
            holding a CA and a serving certificate for the webhook's Service made now with libcrypto (or, with \
            --cert-manager, cert-manager Issuers and Certificates), the Service, the Deployment running \
            `imagepatch k8s webhook` with the preset flags given here, and the MutatingWebhookConfiguration. \
            The webhook sees pod CREATEs only, never in kube-system, its own namespace, or a namespace or pod \
            labelled sensor.falcon-system.crowdstrike.com/injection=disabled, and its failures never block a pod. \
            Each run makes a new CA and key: apply the output once, or rerun and apply again to replace them.
            """)

    @Option(help: "The imagepatch image the webhook runs.")
    var image: String

    @Option(help: "The webhook's namespace (created by the manifests).")
    var namespace: String = "falcon-system"

    @Flag(name: .customLong("cert-manager"), help: "Let cert-manager issue and rotate the serving certificate (no Secret is printed).")
    var certManager = false

    @Option(name: .customLong("cert-validity-days"), help: "How long the CA and serving certificate made here are valid.")
    var certValidityDays: Int = 3650

    @Option(help: "The webhook's replicas.")
    var replicas: Int = 2

    @Option(help: ArgumentHelp("Agent preset the webhook injects: \(AgentRegistry.list(PodInjector.podPresetNames))."))
    var preset: String = "falcon"

    @Option(name: .customLong("agent-image"), help: "The agent image the injected init container runs.")
    var agentImage: String?

    @OptionGroup var agentSettings: AgentSettingFlags

    @Option(
        name: .customLong("registry-auth-secret"),
        help: "A kubernetes.io/dockerconfigjson Secret in the namespace, for reading images in private registries.")
    var registryAuthSecret: String?

    func run() async throws {
        try await CommandSupport.run {
            guard let presetValue = AgentPreset(rawValue: preset) else { throw AgentRegistry.unknownPreset(preset) }
            var options = InstallOptions()
            options.namespace = namespace
            options.image = image
            options.preset = presetValue
            options.agentImage = agentImage
            options.agentSettings = agentSettings.values
            options.certManager = certManager
            options.validityDays = certValidityDays
            options.replicas = replicas
            options.registryAuthSecret = registryAuthSecret
            let text = try WebhookManifests(options: options).yaml()
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
