import GzipEncoding
import Hashing
import OCI
import Tar

/// The agent layer as built: a gzip tar file on disk and the digests that describe it.
public struct AgentLayer: Sendable {
    /// Whether an absolute path exists in the layer once its symbolic links are followed (a merged-/usr
    /// agent reaches `lib64/ld-linux…` through `lib64 -> usr/lib64`). Links leaving the layer do not count.
    public func contains(_ absolutePath: String) -> Bool {
        var pending = absolutePath.pathComponents()
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." { if !resolved.isEmpty { resolved.removeLast() }; continue }
            resolved.append(component)
            let path = BytePath(resolved.joined(separator: "/"))
            if let target = symlinks[path] {
                hops += 1
                guard hops <= 40 else { return false }
                resolved.removeLast()
                if target.bytesHavePrefix("/") { resolved = [] }
                pending = target.pathComponents() + pending
            } else if !paths.contains(path) {
                return false
            }
        }
        return true
    }

    public let file: String
    public let digest: Digest      // of the gzip bytes, for the manifest
    public let diffID: Digest      // of the tar bytes, for the config's rootfs
    public let size: Int64
    /// Relative paths of every entry in the layer, for launcher lookup.
    public let paths: Set<BytePath>
    /// Symbolic links in the layer: relative path → target as written.
    public let symlinks: [BytePath: String]
    /// Owns the directory holding `file`.
    let storage: TemporaryDirectory
}

/// Builds the one layer that carries the agent: applies the agent image's layers as a union
/// filesystem, selects and relocates the agent tree, and writes it as tar -> gzip in one streaming
/// pass that hashes the tar (diff_id) and the gzip (digest) on the way to disk.
public struct AgentLayerBuilder: Sendable {
    public let settings: AgentTreeSettings

    public init(settings: AgentTreeSettings) { self.settings = settings }

    /// `agent` is the agent image's manifest for one platform; `source` serves its blobs.
    public func build(agent manifest: ImageManifest, config: ImageConfig, source: any ImageSource) async throws -> AgentLayer {
        let diffIDs = config.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw OCIError.malformed("the agent image \(source.reference)",
                                     "its manifest has \(manifest.layers.count) layers but its config has \(diffIDs.count) diff_ids")
        }
        let union = try UnionFilesystem()
        for (index, layer) in manifest.layers.enumerated() {
            let place = "layer \(index + 1) (\(layer.digest.shortDescription)) of the agent image \(source.reference)"
            let expected: Digest
            do { expected = try Digest(parsing: diffIDs[index]) } catch {
                throw OCIError.malformed("the agent image's config", "diff_ids[\(index)]: \(error)")
            }
            let stream = try LayerStream(blob: try await source.openBlob(layer), mediaType: layer.mediaType, place: place)
            try union.apply(layer: index, stream: stream, place: place)
            try stream.finish(expectedDiffID: expected, place: place)
        }
        let selection = AgentTreeSelection(installDirectory: settings.installDirectory, agentRoot: settings.agentRoot,
                                           includes: settings.includes, normalizeModes: settings.normalizeModes,
                                           defaultTime: settings.defaultTime)
        let entries = selection.entries(of: union)
        guard entries.contains(where: { $0.tar.kind != .directory }) else {
            throw PatchError.emptyAgentTree(agent: source.reference, root: "/" + settings.agentRoot,
                                            includes: settings.includes ?? [])
        }
        return try write(entries, union: union)
    }

    private func write(_ entries: [AgentTreeSelection.Entry], union: UnionFilesystem) throws -> AgentLayer {
        let storage = try TemporaryDirectory(prefix: "imagepatch-agent-layer")
        let output = try AtomicFileWriter(path: "\(storage.path)/layer.tar.gz")
        let tarHasher = DigestHasher()
        let gzipHasher = DigestHasher()
        var size: Int64 = 0
        let encoder = GzipEncoder()
        let toDisk: GzipEncoder.Sink = { chunk in
            gzipHasher.update(chunk)
            size += Int64(chunk.count)
            try output.write(chunk)
        }
        let tar = try TarWriter { chunk in
            tarHasher.update(chunk)
            try encoder.write(chunk, to: toDisk)
        }
        for entry in entries {
            try tar.writeHeader(entry.tar)
            if entry.tar.kind == .regular, let node = entry.node {
                try union.contents(of: node).forEachChunk { try tar.writeData($0) }
            }
        }
        try tar.finish()
        try encoder.finish(to: toDisk)
        try output.commit()
        return AgentLayer(file: output.path, digest: Digest(hex: gzipHasher.finalizeHex()),
                          diffID: Digest(hex: tarHasher.finalizeHex()), size: size,
                          paths: Set(entries.map { BytePath($0.path) }),
                          symlinks: Dictionary(entries.compactMap { $0.tar.kind == .symlink ? (BytePath($0.path), $0.tar.linkTarget ?? "") : nil },
                                               uniquingKeysWith: { first, _ in first }),
                          storage: storage)
    }
}

/// What to take from the agent image and where to put it.
public struct AgentTreeSettings: Sendable, Hashable {
    public var installDirectory: String   // relative: "opt/CrowdStrike/rootfs"
    public var agentRoot: String          // relative: "" is /
    public var includes: [String]?        // relative to the agent root
    public var normalizeModes: Bool
    public var defaultTime: Int64

    public init(installDirectory: String, agentRoot: String, includes: [String]?, normalizeModes: Bool, defaultTime: Int64) {
        self.installDirectory = installDirectory
        self.agentRoot = agentRoot
        self.includes = includes
        self.normalizeModes = normalizeModes
        self.defaultTime = defaultTime
    }
}
