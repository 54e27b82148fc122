import JSON
import Logging
import OCI
import Synchronization

/// Agent layers recorded by earlier patches in the target itself: a patched config's labels name the
/// layer key, the layer's digest, diff_id and size, and the launcher. When the target tag already
/// holds an image patched with the same key (the same agent and settings, another source or
/// option), its layer is taken from there, without building: the target repository has its bytes.
///
/// A record is used only when the manifest's top layer and the config's last diff_id are the ones
/// the labels name, and the top layer's media type has the compression asked for (the key says it
/// too). Like the layer cache, the target repository is the user's own.
final class TargetLayerRecords: Sendable {
    let target: any ImageSource
    let logger: Logger
    private let reading = Mutex<Task<[AgentLayerKey: AgentLayer], Never>?>(nil)

    init(target: any ImageSource, logger: Logger) {
        self.target = target
        self.logger = logger
    }

    /// The layer recorded for `key`, if the target has one, labelled as `format`. The target is read
    /// once per run.
    func find(_ key: AgentLayerKey, format: LayerFormat) async -> AgentLayer? {
        let task = reading.withLock { reading -> Task<[AgentLayerKey: AgentLayer], Never> in
            if let reading { return reading }
            let task = Task { await self.readRecords() }
            reading = task
            return task
        }
        guard let recorded = await task.value[key], let layer = try? recorded.described(as: format) else { return nil }
        logger.info(
            "using the agent layer \(layer.digest.shortDescription) (\(layer.size) bytes) recorded in the target \(target.reference)")
        return layer
    }

    private func readRecords() async -> [AgentLayerKey: AgentLayer] {
        do {
            let root = try await target.rootManifest()
            var records: [AgentLayerKey: AgentLayer] = [:]
            for image in try await PlatformImages.read(target, root: root, role: "target").images {
                let place = "the config of the target \(target.reference) for \(image.platform)"
                let config = try ImageConfig(
                    bytes: try await target.readBlob(image.manifest.config, limit: Limits.configBytes, what: place),
                    place: place)
                if let (key, layer) = record(config, image.manifest) { records[key] = layer }
            }
            return records
        } catch {
            logger.info("no agent layer records in the target \(target.reference) (\(error))")
            return [:]
        }
    }

    private func record(_ config: ImageConfig, _ manifest: ImageManifest) -> (AgentLayerKey, AgentLayer)? {
        guard let key = config.label(PatchLabels.agentLayerKey).flatMap(AgentLayerKey.init(recorded:)),
            let digest = config.label(PatchLabels.agentLayerDigest).flatMap({ try? Digest(parsing: $0) }),
            let size = config.label(PatchLabels.agentLayerSize).flatMap({ ASCIINumber.parse($0, in: 1...Limits.blobBytes) }),
            let diffID = config.label(PatchLabels.agentLayer).flatMap({ try? Digest(parsing: $0) }),
            let launcherText = config.label(PatchLabels.launcher),
            let launcher = (try? JSONValue(parsing: Array(launcherText.utf8)))?.arrayValue?.compactMap({ $0.stringValue }),
            !launcher.isEmpty,
            let top = manifest.layers.last, top.digest == digest, top.size == size,
            let format = LayerFormat(mediaType: top.mediaType),
            config.diffIDs.last == diffID.description
        else { return nil }
        return (
            key,
            AgentLayer(
                file: "", format: format, digest: digest, size: size, diffID: diffID, paths: [], symlinks: [:], files: nil,
                storage: nil, remote: target, recordedLauncher: launcher)
        )
    }
}
