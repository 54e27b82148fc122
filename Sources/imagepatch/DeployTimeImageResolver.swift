import ImagePatch
import Logging
import TaskDefinition

extension RegistryFlags {
    /// Registry access for the images whose Entrypoint/Cmd the deploy-time rewrites (`taskdef`,
    /// `k8s inject`) must read, with `patch`'s credentials; the Falcon utilities' `-pulltoken` is
    /// folded into `--pull-token`. Nothing connects until an image is read.
    func deployTimeImageResolver(pulltoken: String?, agentImage: String?, logger: Logger) throws -> any ImageCommandResolver {
        var flags = self
        if let pulltoken {
            if let given = flags.pullToken, given != pulltoken {
                throw PatchError.invalidOption("--pulltoken", "and --pull-token give different tokens; give one")
            }
            flags.pullToken = pulltoken
        }
        // --creds goes to the agent image's registry only: task definitions and manifests name the
        // other registries, and they are input, not a list of hosts to trust.
        let resolver = ReferenceResolver(registry: try flags.makeTransport(logger: logger, credsFor: [agentImage].compactMap { $0 }))
        // They name registry images without a transport; say so, so that a name such as
        // `host:5000/app` is never taken for anything else.
        return InspectingImageResolver { image in
            try await resolver.source(image.hasPrefix("docker://") ? image : "docker://" + image)
        }
    }
}
