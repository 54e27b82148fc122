import ArgumentParser

/// `imagepatch k8s`: the agent in Kubernetes pods (EKS Fargate, or any cluster), by the same rewrite
/// as `taskdef --mode sidecar`.
struct K8sCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Kubernetes: inject the agent into pod specs (manifests), or live as an admission webhook, and install it.",
        subcommands: [K8sInjectCommand.self, K8sWebhookCommand.self, K8sInstallCommand.self])
}
