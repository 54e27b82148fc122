import Attestation
import Hashing
import Logging
import OCI

/// Publishes what `AttachOptions` asks for beside an image that has just been written (or found up
/// to date): artifacts first, each naming its platform manifest as subject, then signatures of
/// every platform manifest and of the root. All of it is derived from the run's own verified
/// inputs; nothing is copied from the source's signatures, which vouch for other digests.
struct ImageAttacher {
    let options: AttachOptions
    let provenance: ProvenanceInputs
    let logger: Logger

    func attach(_ result: PatchResult, to writer: any AttachmentWriter) async throws -> AttachmentReport {
        var report = AttachmentReport()
        for platform in result.platforms {
            for artifact in try artifacts(for: platform, of: result, repository: writer.repositoryReference) {
                let listing = try await ReferrerPublisher.publish(artifact, subject: platform.digest, to: writer)
                report.artifacts.append(
                    .init(
                        subject: platform.digest, platform: platform.platform, artifactType: artifact.artifactType,
                        digest: artifact.digest, listing: listing))
                logger.info("attached \(artifact.artifactType) \(artifact.digest.shortDescription) to \(platform.platform)")
            }
        }
        if let key = options.signingKey {
            // Platform manifests first, the root last: a verifier that finds the root signed finds all.
            var subjects = result.platforms.map(\.digest)
            if !subjects.contains(result.root.digest) { subjects.append(result.root.digest) }
            for subject in subjects {
                let signature = try await SignaturePublisher.sign(subject, key: key, optional: [:], to: writer)
                report.signatures.append(signature)
                logger.info(
                    "\(signature.added ? "signed" : "already signed:") \(subject.shortDescription) (\(writer.repositoryReference):\(signature.tag))"
                )
            }
        }
        return report
    }

    private func artifacts(
        for platform: PatchResult.PlatformResult, of result: PatchResult, repository: String
    ) throws -> [ArtifactManifest] {
        var artifacts: [ArtifactManifest] = []
        let subject = Descriptor(mediaType: platform.mediaType, digest: platform.digest, size: platform.size)
        if !options.sbomFormats.isEmpty {
            guard let files = platform.agentFiles else {
                throw PatchError.attachment(what: "the SBOM of \(platform.platform)", reason: "the agent layer's file list is unknown")
            }
            var builder = SBOMBuilder(
                documentName: "imagepatch agent layer of \(repository)@\(platform.digest) (\(platform.platform))",
                namespace: "https://imagepatch.invalid/spdx/\(platform.digest.algorithm.rawValue)-\(platform.digest.hex)",
                created: Attestation.Timestamp(secondsSinceEpoch: platform.created),
                creatorTool: "imagepatch-\(ImagePatchVersion.current)",
                package: AgentImagePackage(
                    repository: provenance.agentRepository ?? result.agent, digest: platform.agentDigest,
                    version: platform.agentVersion))
            for file in files { try builder.add(path: file.path, checksums: file.checksums) }
            for format in options.sbomFormats {
                artifacts.append(
                    ArtifactManifest(
                        artifactType: format.artifactType, document: format.document(builder),
                        documentMediaType: format.artifactType, subject: subject))
            }
        }
        if options.provenance {
            let statement = provenance.predicate(for: platform, of: result).statement(subjects: [
                InTotoStatement.Subject(name: repository, digest: platform.digest)
            ])
            if let key = options.signingKey {
                artifacts.append(
                    ArtifactManifest(
                        artifactType: InTotoStatement.mediaType,
                        document: DSSE.envelope(payload: statement, payloadType: DSSE.inTotoPayloadType, key: key),
                        documentMediaType: DSSE.envelopeMediaType, subject: subject))
            } else {
                artifacts.append(
                    ArtifactManifest(
                        artifactType: InTotoStatement.mediaType, document: statement,
                        documentMediaType: InTotoStatement.mediaType, subject: subject))
            }
        }
        return artifacts
    }
}
