import IOFoundation
import JSON
import Logging
import OCI

/// Where a registry layer cache lives, as the transport layer provides it: the engine never knows
/// the transport. `tag` is an `AgentLayerKey`'s hex.
public protocol LayerCacheRepository: Sendable {
    /// For messages: `REGISTRY/REPO`.
    var name: String { get }
    func source(tag: String) async throws -> any ImageSource
    func destination(tag: String) async throws -> any ImageDestination
}

/// Agent layers kept in a registry repository (`--layer-cache REGISTRY/REPO`), as BuildKit's
/// registry cache keeps one artifact per cache key: an OCI manifest tagged by the layer key, whose
/// config is the cache record (digest, diff_id, size, entry names) and whose one layer is the agent
/// layer. Machines that share no disk (the pods of an Indexed Job) build each layer once between
/// them; a target on the same registry mounts the layer instead of uploading it.
///
/// The record's diff_id is taken as written: the repository is the user's own, like the cache
/// directory. The layer's bytes are still verified by whoever reads them.
public struct RegistryLayerCache: Sendable {
    public let repository: any LayerCacheRepository
    let logger: Logger

    static let configMediaType = "application/vnd.imagepatch.agent-layer.config.v1+json"
    static let artifactType = "application/vnd.imagepatch.agent-layer.v1"

    public init(repository: any LayerCacheRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    /// The layer recorded for `key`, or nil (none, or a record that does not hold together: said).
    /// `format` is the key's compression in the family of the image asking.
    func find(_ key: AgentLayerKey, format: LayerFormat) async -> AgentLayer? {
        let place = "\(repository.name):\(key.hex)"
        let source: any ImageSource
        let root: ManifestBlob
        do {
            source = try await repository.source(tag: key.hex)
            root = try await source.rootManifest()
        } catch {
            logger.info("no agent layer in the layer cache \(place) (\(error))")
            return nil
        }
        do {
            guard case .manifest(let manifest) = try ManifestDocument.parse(root, place: place),
                manifest.config.mediaType == Self.configMediaType, manifest.layers.count == 1
            else {
                throw OCIError.malformed(place, "it is not an imagepatch agent-layer record")
            }
            let record = try CacheRecord(
                bytes: try await source.readBlob(
                    manifest.config, limit: AgentLayerCache.entryBytes,
                    what: "the record \(place)"), key: key)
            let layer = manifest.layers[0]
            guard layer.digest == record.digest, layer.size == record.size else {
                throw OCIError.malformed(place, "its layer \(layer.digest) is not the one its record describes (\(record.digest))")
            }
            // The key names the compression; a record whose layer says another one is not this key's.
            guard layer.mediaType == LayerFormat.oci(format.compression).mediaType else {
                throw OCIError.malformed(place, "its layer is \(layer.mediaType), not a \(format.compression.rawValue) layer")
            }
            logger.info("using the agent layer \(record.digest.shortDescription) (\(record.size) bytes) from the layer cache \(place)")
            return AgentLayer(
                file: "", format: format, digest: record.digest, size: record.size, diffID: record.diffID,
                paths: record.paths, symlinks: record.symlinks, files: nil, storage: nil, remote: source)
        } catch {
            logger.warning("the layer cache entry \(place) is not usable (\(error)); building the layer")
            return nil
        }
    }

    /// Pushes `layer` under `key`: the layer blob, the record, then the tag. Failures only cost the
    /// cache, so they are said and the run goes on.
    func publish(_ layer: AgentLayer, key: AgentLayerKey) async {
        let place = "\(repository.name):\(key.hex)"
        do {
            let record = CacheRecord(layer: layer, key: key)
            let config = ManifestBlob(bytes: record.bytes, mediaType: Self.configMediaType)
            // The record is an OCI manifest: its layer has the OCI media type, whatever image it was built for.
            let layerDescriptor = try layer.described(as: .oci(layer.format.compression)).descriptor
            var manifest = JSONObject()
            manifest["schemaVersion"] = .integer(2)
            manifest["mediaType"] = .string(MediaType.ociManifest)
            manifest["artifactType"] = .string(Self.artifactType)
            manifest["config"] = config.descriptor.jsonValue
            manifest["layers"] = .array([layerDescriptor.jsonValue])
            let root = ManifestBlob(bytes: JSONValue.object(manifest).serialized(), mediaType: MediaType.ociManifest)
            let destination = try await repository.destination(tag: key.hex)
            try await destination.putBlob(layerDescriptor, from: layer.origin())
            try await destination.putBlob(config.descriptor, from: BlobOrigin(source: nil) { MemoryReader(config.bytes) })
            try await destination.commit(root: root)
            logger.info("recorded the agent layer \(layer.digest.shortDescription) in the layer cache \(place)")
        } catch {
            logger.warning("cannot record the agent layer in the layer cache \(place): \(error)")
        }
    }
}
