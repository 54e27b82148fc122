import ArgumentParser

/// Temporary (install worktree only): the lead's merge replaces this with the inject helper's `k8s` group.
struct K8sCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s", abstract: "Kubernetes: inject the agent into pods.", subcommands: [K8sInstallCommand.self])
}
