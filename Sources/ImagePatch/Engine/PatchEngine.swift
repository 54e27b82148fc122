import Foundation
import IOFoundation
import Logging
import OCI
import Synchronization

/// Patches every selected platform of a source image with the agent of the same platform.
///
/// Data flows: source -> plan -> agent layers -> rewritten configs and manifests -> destination.
/// The engine sees transports only through `ImageSource` and `ImageDestination`.
///
/// Where work runs. Much of a patch blocks its thread: reading and writing tar (libarchive and
/// `TarWriter`), gzip (zlib, ISA-L), hashing, copying and linking files (base layers into a layout
/// or archive, the agent layer into the cache), and unpacking and packing archives. None of it may
/// run on Swift's cooperative pool, whose one thread per core would then sit in `read(2)` or zlib
/// while other tasks wait. So:
/// - `patch` runs the whole run, abort included, under `BlockingExecutor` (a Dispatch thread for
///   each piece of work, at once); its child tasks (one per agent platform, one per blob transfer)
///   inherit it.
/// - `AgentLayerCache` builds, verifies and stores layers in a task of its own on the same executor.
/// - The command line runs each command under it too, so sources that unpack an archive when they
///   are opened (`oci-archive:`, `docker-archive:`) do so off the pool.
/// - libcurl blocks for a whole exchange: `CurlHTTPClient` runs each one on the same executor. A
///   streamed blob crosses from the download's thread to the upload's through `BytePipe`, whose
///   waits block only those two threads.
/// - Waiting blocks no thread anywhere: `RegistryGate`'s slots are continuations, retries sleep.
public struct PatchEngine: Sendable {
    public let logger: Logger
    /// Agent layers kept between runs (and shared by the patches of one process); nil builds every
    /// layer afresh.
    public let layerCache: AgentLayerCache?
    /// `--layer-cache`: agent layers shared through a registry repository, after the local cache.
    public let registryLayerCache: RegistryLayerCache?

    /// Where this engine's runs have put (or found) each agent layer, so that the next target on the
    /// same registry mounts it instead of uploading it again (every image of a fleet).
    let layerLocations = LayerLocations()

    public init(logger: Logger, layerCache: AgentLayerCache? = nil, registryLayerCache: RegistryLayerCache? = nil) {
        self.logger = logger
        self.layerCache = layerCache
        self.registryLayerCache = registryLayerCache
    }

    public func patch(
        source: any ImageSource, agent: any ImageSource, destination: any ImageDestination,
        options: PatchOptions
    ) async throws -> PatchResult {
        try await BlockingExecutor.run {
            try await patchOffThePool(source: source, agent: agent, destination: destination, options: options)
        }
    }

    private func patchOffThePool(
        source: any ImageSource, agent: any ImageSource, destination: any ImageDestination,
        options: PatchOptions
    ) async throws -> PatchResult {
        do {
            let result = try await run(source: source, agent: agent, destination: destination, options: options)
            // A dry run writes nothing, not even the empty staging area a destination may have prepared.
            if options.dryRun { await destination.abort() }
            return result
        } catch {
            await destination.abort()
            throw error
        }
    }

    private func run(
        source: any ImageSource, agent: any ImageSource, destination: any ImageDestination,
        options: PatchOptions
    ) async throws -> PatchResult {
        let settings = try ResolvedSettings(options)
        if let flag = options.attach.firstFlag, destination.attachments == nil {
            throw PatchError.attachmentsNeedRegistry(flag: flag, target: destination.reference)
        }
        let plan = try await PatchPlan.make(source: source, agent: agent, platforms: options.platforms)
        plan.notices.forEach { logger.notice("\($0)") }
        if let notice = await SourceSignatures.notice(source, root: plan.sourceRoot.digest, signing: options.attach.signingKey != nil) {
            logger.notice("\(notice)")
        }
        if !destination.canHoldIndex && plan.platforms.count > 1 {
            throw PatchError.destinationCannotHoldIndex(
                target: destination.reference,
                platforms: plan.platforms.map(\.platform.description))
        }

        // Refuse what cannot be patched before spending time on agent layers.
        for patch in plan.platforms {
            try ConfigRewriter.check(
                patch.sourceConfig, repatch: settings.repatch,
                image: "the source image \(source.reference) for \(patch.platform)")
        }
        let formats = try Self.layerFormats(plan, compression: settings.compression, source: source)
        let records = destination.blobSource.map { TargetLayerRecords(target: $0, logger: logger) }
        let agents = try await prepareAgents(
            plan, formats: formats, agent: agent, settings: settings, targetRecords: records,
            needsFileList: !options.attach.sbomFormats.isEmpty && !options.dryRun, progress: options.progress)
        var outputs: [PlatformOutput] = []
        for (patch, format) in zip(plan.platforms, formats) {
            let prepared = agents[patch.agent.digest]!
            // Derived from the inputs, so the same inputs give the same digest on every run.
            let created = settings.created ?? Timestamp.derived(from: [patch.sourceConfig, prepared.config])
            outputs.append(
                try await rewrite(
                    patch, format: format, agentLayer: prepared, settings: settings,
                    source: source, agent: agent, created: created))
        }
        let root: ManifestBlob
        if let index = plan.sourceIndex, destination.canHoldIndex {
            root = IndexRewriter.rewrite(
                index,
                replacements: Dictionary(
                    outputs.map { ($0.patch.source.digest, $0.manifest) },
                    uniquingKeysWith: { first, _ in first }))
        } else {
            root = outputs[0].manifest
        }

        var planned: [PatchResult.PlannedBlob] = []
        // The tag already names exactly this image: nothing to push.
        let upToDate = try await destination.currentRootDigest() == root.digest
        if upToDate {
            logger.info("\(destination.reference) is up to date (\(root.digest))")
        } else if options.dryRun {
            planned = try await dryRunPlan(outputs, source: source, destination: destination)
        } else {
            try await write(outputs, root: root, source: source, to: destination, jobs: options.jobs, progress: options.progress)
        }
        var result = PatchResult(
            source: source.reference, agent: agent.reference, target: destination.reference,
            sourceRoot: plan.sourceRoot.digest, agentRoot: plan.agentRoot.digest, root: root,
            platforms: outputs.map { output in
                PatchResult.PlatformResult(
                    platform: output.patch.platform, sourceDigest: output.patch.source.digest,
                    digest: output.manifest.digest, mediaType: output.manifest.mediaType,
                    size: Int64(output.manifest.bytes.count),
                    agentLayer: (output.layer.digest, output.layer.diffID, output.layer.size),
                    launcher: output.launcher, agentDigest: output.patch.agent.digest,
                    agentVersion: agents[output.patch.agent.digest]?.config.label(Self.versionLabel),
                    agentFiles: output.layer.files, created: output.created)
            }, notices: plan.notices, written: !options.dryRun && !upToDate, upToDate: upToDate, plannedBlobs: planned)
        if let writer = destination.attachments, !options.dryRun, options.attach.firstFlag != nil {
            result.attachments = try await attach(result, writer: writer, options: options, settings: settings, agent: agent)
        }
        return result
    }

    static let versionLabel = "org.opencontainers.image.version"

    /// After the tag has moved (or was found up to date): what `options.attach` asks for. A failure
    /// here leaves the image pushed, which the error says.
    private func attach(
        _ result: PatchResult, writer: any AttachmentWriter, options: PatchOptions, settings: ResolvedSettings,
        agent: any ImageSource
    ) async throws -> AttachmentReport {
        let inputs = ProvenanceInputs(
            options: options, settings: settings, source: result.source, agent: result.agent, target: result.target,
            agentRepository: agent.attachments?.repositoryReference)
        let attacher = ImageAttacher(options: options.attach, provenance: inputs, logger: logger)
        do {
            return try await attacher.attach(result, to: writer)
        } catch {
            var missing: [String] = []
            if !options.attach.sbomFormats.isEmpty || options.attach.provenance {
                missing.append("its SBOM and provenance may not all be attached")
            }
            if options.attach.signingKey != nil { missing.append("it is not signed") }
            throw PatchError.pushedWithoutAttachments(
                target: result.target, digest: result.root.digest, missing: missing.joined(separator: ", and "),
                reason: "\(error)")
        }
    }

    /// The agent layer's format for each platform of the plan, in order: the compression asked for,
    /// in the media-type family the platform's manifest keeps. This is where a compression the
    /// family cannot list (zstd for a Docker image) is refused: after the plan has read the
    /// manifests, before any agent blob is read, any layer is built or anything is written.
    static func layerFormats(_ plan: PatchPlan, compression: LayerCompression, source: any ImageSource) throws -> [LayerFormat] {
        try plan.platforms.map { patch in
            let family = MediaTypeFamily(manifestOrIndex: patch.sourceManifest.mediaType) ?? plan.family
            return try LayerFormat.forPatching(
                compression, family: family,
                image: "the source image \(source.reference) for \(patch.platform)")
        }
    }

    /// An agent platform image's config and its layer.
    struct PreparedAgent: Sendable {
        var config: ImageConfig
        var key: AgentLayerKey
        var layer: AgentLayer
    }

    /// One agent layer per distinct agent platform image, taken from the cache or built, concurrently.
    /// Each is labelled for the first platform that uses it; `rewrite` relabels it for the others.
    private func prepareAgents(
        _ plan: PatchPlan, formats: [LayerFormat], agent: any ImageSource, settings: ResolvedSettings,
        targetRecords: TargetLayerRecords?, needsFileList: Bool, progress: (any PatchProgressObserver)?
    ) async throws -> [Digest: PreparedAgent] {
        var unique: [Digest: (patch: PlatformPatch, format: LayerFormat)] = [:]
        for (patch, format) in zip(plan.platforms, formats) where unique[patch.agent.digest] == nil {
            unique[patch.agent.digest] = (patch, format)
        }
        let builder = AgentLayerBuilder(settings: settings.tree)
        let (logger, cache, registryCache, locations) = (self.logger, self.layerCache, self.registryLayerCache, self.layerLocations)
        return try await withThrowingTaskGroup(of: (Digest, PreparedAgent).self) { group in
            for (digest, (patch, format)) in unique {
                group.addTask {
                    let place = "the config of the agent image \(agent.reference) for \(patch.platform)"
                    let bytes = try await agent.readBlob(patch.agentManifest.config, limit: Limits.configBytes, what: place)
                    let config = try ImageConfig(bytes: bytes, place: place)
                    let key = AgentLayerKey(agentManifest: digest, settings: settings.tree, compression: format.compression)
                    // Cheapest first: this process and the cache directory (below), the registry layer cache,
                    // the target's own earlier patch, a build.
                    let buildNow: @Sendable () async throws -> AgentLayer = {
                        let layer = try await Self.building(patch, reportingTo: progress) { counted in
                            try await builder.build(
                                agent: patch.agentManifest, config: config, source: agent, format: format, recordingFiles: needsFileList,
                                progress: counted)
                        }
                        logger.info("built the agent layer for \(patch.platform): \(layer.digest.shortDescription), \(layer.size) bytes")
                        await registryCache?.publish(layer, key: key)
                        return layer
                    }
                    let build: @Sendable () async throws -> AgentLayer = {
                        // Layers known by digest only have no file list: an SBOM needs a build.
                        if needsFileList { return try await buildNow() }
                        if let registryCache, let found = await registryCache.find(key, format: format) { return found }
                        if let targetRecords, let found = await targetRecords.find(key, format: format),
                            settings.explicitLauncher == nil || settings.explicitLauncher == found.recordedLauncher
                        {
                            return found
                        }
                        return try await buildNow()
                    }
                    var layer: AgentLayer
                    if let cache {
                        layer = try await cache.layer(for: key, format: format, needsFiles: needsFileList, build: build)
                    } else {
                        layer = try await build()
                    }
                    // A layer known only from an earlier patch's labels comes with that patch's launcher;
                    // another explicit launcher must be looked for in the layer's entries: build it.
                    if let recorded = layer.recordedLauncher, let explicit = settings.explicitLauncher, explicit != recorded {
                        layer = try await buildNow()
                    }
                    // The SBOM lists the files, known only to a layer written here: the same bytes again.
                    if needsFileList, layer.files == nil {
                        layer = try await buildNow()
                    }
                    // A layer from the cache directory is likely in the layer cache repository too: a
                    // destination on that registry tries a mount first (one request) before uploading.
                    if layer.remote == nil, let registryCache, let candidate = try? await registryCache.repository.source(tag: key.hex) {
                        locations.offer(candidate, for: layer.digest)
                    }
                    return (digest, PreparedAgent(config: config, key: key, layer: layer))
                }
            }
            var prepared: [Digest: PreparedAgent] = [:]
            for try await (digest, agent) in group { prepared[digest] = agent }
            return prepared
        }
    }

    struct PlatformOutput {
        var patch: PlatformPatch
        var layer: AgentLayer
        var launcher: [String]
        var config: ManifestBlob
        var manifest: ManifestBlob
        var baseLayers: [Descriptor]
        var created: Int64
    }

    private func rewrite(
        _ patch: PlatformPatch, format: LayerFormat, agentLayer: PreparedAgent, settings: ResolvedSettings,
        source: any ImageSource, agent: any ImageSource, created: Int64
    ) async throws -> PlatformOutput {
        let layer = try agentLayer.layer.described(as: format)
        let image = "the source image \(source.reference) for \(patch.platform)"
        let config = patch.sourceConfig
        let launcher = try settings.launcher(for: patch.platform, layer: layer, agent: agent.reference)
        let rewriter = ConfigRewriter(
            settings: settings, agentReference: agent.reference, agentDigest: patch.agent.digest,
            launcher: launcher, layer: layer, layerKey: agentLayer.key, created: created)
        let result = try rewriter.rewrite(config, image: image)
        let configBlob = ManifestBlob(bytes: result.config.serialized, mediaType: patch.sourceManifest.config.mediaType)
        let manifest = ManifestRewriter.rewrite(
            patch.sourceManifest, family: format.family, config: configBlob, layer: layer,
            dropTopLayer: result.droppedPreviousAgentLayer, source: patch.source,
            sourceName: source.publishedName)
        var baseLayers = patch.sourceManifest.layers
        if result.droppedPreviousAgentLayer { baseLayers.removeLast() }
        return PlatformOutput(
            patch: patch, layer: layer, launcher: launcher, config: configBlob, manifest: manifest,
            baseLayers: baseLayers, created: created)
    }

    /// Every blob the target needs, once each even when platforms share it.
    private func transfers(_ outputs: [PlatformOutput], source: any ImageSource) -> [BlobTransfer] {
        var transfers: [Digest: BlobTransfer] = [:]
        for output in outputs {
            for layer in output.baseLayers where transfers[layer.digest] == nil {
                transfers[layer.digest] = BlobTransfer(
                    descriptor: layer,
                    origin: BlobOrigin(
                        source: source, open: { try await source.openBlob(layer) }, stream: { try await source.streamBlob(layer) }))
            }
            let agentLayer = output.layer
            transfers[agentLayer.digest] = BlobTransfer(
                descriptor: agentLayer.descriptor,
                origin: agentLayer.origin(mountable: layerLocations.source(for: agentLayer.digest)))
            let config = output.config
            transfers[config.digest] = BlobTransfer(
                descriptor: config.descriptor,
                origin: BlobOrigin(source: nil) {
                    MemoryReader(config.bytes)
                })
        }
        return transfers.values.sorted { $0.descriptor.digest < $1.descriptor.digest }
    }

    /// Blobs, then each platform manifest, then the root: the tag moves last.
    private func write(
        _ outputs: [PlatformOutput], root: ManifestBlob, source: any ImageSource,
        to destination: any ImageDestination, jobs: Int, progress: (any PatchProgressObserver)?
    ) async throws {
        try await BlobTransfer.run(transfers(outputs, source: source), to: destination, jobs: jobs, logger: logger, progress: progress)
        if let written = destination.blobSource {
            for output in outputs where output.layer.remote == nil { layerLocations.record(written, for: output.layer.digest) }
        }
        for output in outputs { try await destination.putManifest(output.manifest) }
        // A run stopped by --timeout must not move the tag; when it was stopped, the process is exiting.
        guard RunGate.commit() else { throw CancellationError() }
        try await destination.commit(root: root)
        logger.info("wrote \(destination.reference) (\(root.digest))")
    }

    /// `--dry-run`: what each blob would need, without moving any.
    private func dryRunPlan(
        _ outputs: [PlatformOutput], source: any ImageSource,
        destination: any ImageDestination
    ) async throws -> [PatchResult.PlannedBlob] {
        var planned: [PatchResult.PlannedBlob] = []
        for transfer in transfers(outputs, source: source) {
            let action = try await destination.plannedAction(for: transfer.descriptor, from: transfer.origin)
            logger.info(
                "would \(action == .present ? "skip (present)" : action.rawValue) \(transfer.descriptor.digest.shortDescription) (\(transfer.descriptor.size) bytes)"
            )
            planned.append(.init(digest: transfer.descriptor.digest, size: transfer.descriptor.size, action: action))
        }
        return planned
    }
}

/// Agent layer digest → an image on some registry that holds it (or, offered, likely holds it).
final class LayerLocations: Sendable {
    private let known = Mutex<[Digest: any ImageSource]>([:])

    func source(for digest: Digest) -> (any ImageSource)? { known.withLock { $0[digest] } }
    /// A place the layer was just written to: it replaces a guess.
    func record(_ source: any ImageSource, for digest: Digest) { known.withLock { $0[digest] = source } }
    /// A guess, kept only where nothing better is known.
    func offer(_ source: any ImageSource, for digest: Digest) { known.withLock { if $0[digest] == nil { $0[digest] = source } } }
}
