import Attestation
import Foundation
import OCI

/// What a patch's SLSA provenance says besides the digests of the result: the parameters that shaped
/// it (never a credential: references, the preset and options as the user gave them), and when and
/// by which run it was made.
struct ProvenanceInputs: Sendable {
    var externalParameters: [String: SLSAProvenance.ParameterValue]
    /// The agent image's `HOST/REPO` for a registry, else its reference: the SBOM's package.
    var agentRepository: String?
    var startedOn: Int64
    var invocationID = UUID().uuidString.lowercased()

    static let builderID = "urn:imagepatch:builder:cli"

    init(options: PatchOptions, settings: ResolvedSettings, source: String, agent: String, target: String, agentRepository: String?) {
        var parameters: [String: SLSAProvenance.ParameterValue] = [
            "source": .string(source), "agent": .string(agent), "target": .string(target),
            "preset": .string(options.preset.rawValue), "compression": .string(options.compression.rawValue),
            "installDirectory": .string("/" + settings.tree.installDirectory),
            "repatch": .bool(options.repatch),
        ]
        if !options.platforms.isEmpty { parameters["platforms"] = .list(options.platforms.map(\.description)) }
        if let launcher = options.launcher { parameters["launcher"] = .list(launcher) }
        if !options.includes.isEmpty { parameters["includes"] = .list(options.includes) }
        // Names only: an --env value may be a token a team passes by mistake; the image's config
        // holds the values for whoever needs them.
        if !options.env.isEmpty { parameters["env"] = .list(options.env.map(\.0)) }
        if !options.labels.isEmpty { parameters["labels"] = .list(options.labels.map(\.0)) }
        for (flag, value) in options.agentSettings.sorted(by: { $0.key < $1.key })
        where options.preset.definition.settings.contains(where: { $0.flagName == flag }) {
            parameters[flag] = .string(value)
        }
        externalParameters = parameters
        self.agentRepository = agentRepository
        startedOn = Int64(Date().timeIntervalSince1970)
    }

    /// The provenance of one patched platform manifest: made from the source's and the agent's
    /// manifests, named by digest so that a verifier can chain the source's own signatures.
    func predicate(for platform: PatchResult.PlatformResult, of result: PatchResult) -> SLSAProvenance {
        var dependencies = [SLSAProvenance.Dependency(uri: result.source, digest: result.sourceRoot, name: "source")]
        if platform.sourceDigest != result.sourceRoot {
            dependencies.append(.init(uri: result.source, digest: platform.sourceDigest, name: "source \(platform.platform)"))
        }
        dependencies.append(.init(uri: result.agent, digest: result.agentRoot, name: "agent"))
        if platform.agentDigest != result.agentRoot {
            dependencies.append(.init(uri: result.agent, digest: platform.agentDigest, name: "agent \(platform.platform)"))
        }
        return SLSAProvenance(
            externalParameters: externalParameters, resolvedDependencies: dependencies, builderID: Self.builderID,
            builderVersion: ["imagepatch": ImagePatchVersion.current], invocationID: invocationID,
            startedOn: Attestation.Timestamp(secondsSinceEpoch: startedOn),
            finishedOn: Attestation.Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)))
    }
}
