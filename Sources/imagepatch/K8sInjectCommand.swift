import ArgumentParser
import Foundation
import Glibc
import IOFoundation
import ImagePatch
import Kubernetes
import Logging
import OCI
import TaskDefinition

/// `imagepatch k8s inject`: manifests in, the same manifests with the agent injected into every pod
/// spec out, as `istioctl kube-inject` does; for CI and GitOps repositories.
struct K8sInjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Add the agent's init container, volume and launcher to the pod specs of Kubernetes manifests.",
        discussion: """
            Reads YAML (one or many documents) or JSON (an object or a List) from FILE or - (stdin) and writes the same \
            format: the pod specs of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, \
            Jobs and CronJobs get the agent; other objects, and objects labelled or annotated \
            \(PodInjector.optOutLabel)=disabled (or whose pod template is), are written back unchanged. A container \
            without a command gets its image's Entrypoint and Cmd, read from the registry for the pod's \
            kubernetes.io/arch (amd64 when the pod does not pin one). Injecting injected output changes nothing.
            """)

    @Argument(help: "The manifest file, or - for stdin (the default).")
    var file: String?

    @Option(name: .customLong("output"), help: "Write the result here (atomically) instead of stdout.")
    var output: String?

    @OptionGroup var injection: PodInjectionFlags

    @OptionGroup var timeoutFlag: TimeoutFlag

    @Flag(name: .shortAndLong, help: "Quiet: no notices on stderr, only errors.")
    var quiet = false

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: false, quiet: quiet)
        try await CommandSupport.run(timeout: timeoutFlag.timeout, afterTimeout: "; nothing was written") {
            let injector = ManifestInjector(injector: try injection.makeInjector(logger: logger))
            let (bytes, source) = try readInput()
            let result = try await injector.inject(bytes, source: source)
            result.notices.forEach { logger.notice("\($0)") }
            try CommandSupport.writeOutput(result.output, to: output)
        }
    }

    private func readInput() throws -> ([UInt8], String) {
        if let file, file != "-" {
            return (try TaskdefCommand.readFile(file, limit: ManifestInjector.maxBytes, what: "the manifests"), file)
        }
        if injection.registryFlags.passwordStdin {
            throw PatchError.invalidOption("--password-stdin", "cannot be used when the manifests come from stdin")
        }
        return (try StandardInput.readAll(limit: ManifestInjector.maxBytes, what: "the manifests on stdin"), "stdin")
    }
}
