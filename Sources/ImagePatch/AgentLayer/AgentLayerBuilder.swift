import Hashing
import IOFoundation
import OCI
import Tar

/// The agent layer as built: a compressed tar file on disk and the descriptor and diff_id that
/// describe it. The descriptor is the one every manifest, transfer and cache record uses.
public struct AgentLayer: Sendable {
    /// Whether an absolute path exists in the layer once its symbolic links are followed (a merged-/usr
    /// agent reaches `lib64/ld-linux…` through `lib64 -> usr/lib64`). Links leaving the layer do not
    /// count. Directories on the way need no entry of their own (the install directory's parents have
    /// none): the path found at the end is an entry only if they are directories.
    public func contains(_ absolutePath: String) -> Bool {
        var pending = absolutePath.pathComponents()
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            resolved.append(component)
            if let target = symlinks[BytePath(resolved.joined(separator: "/"))] {
                hops += 1
                guard hops <= 40 else { return false }
                resolved.removeLast()
                if target.bytesHavePrefix("/") { resolved = [] }
                pending = target.pathComponents() + pending
            }
        }
        return paths.contains(BytePath(resolved.joined(separator: "/")))
    }

    public let file: String
    /// The compressed bytes, for the manifest: their media type (the layer's compression, in the
    /// family of the image it goes into), digest and size.
    public private(set) var descriptor: Descriptor
    /// The compression and family the descriptor's media type says.
    public private(set) var format: LayerFormat
    public let diffID: Digest  // of the tar bytes, for the config's rootfs
    public var digest: Digest { descriptor.digest }
    public var size: Int64 { descriptor.size }
    /// Relative paths of every entry in the layer, for launcher lookup.
    public let paths: Set<BytePath>
    /// Symbolic links in the layer: relative path → target as written (as text: bytes that are not
    /// UTF-8 read as U+FFFD, which names no file of the layer).
    public let symlinks: [BytePath: String]
    /// Every regular file (hard links included), in layer order, with its checksums: the SBOM's
    /// file list, computed while the layer was written. Nil when the build was not asked to record
    /// them, and for a layer known only by its digest (from the registry layer cache or an earlier
    /// patch's labels).
    public let files: [AgentLayerFile]?
    /// Owns the directory holding `file`.
    let storage: TemporaryDirectory?
    /// Set for a layer found in a registry layer cache (`--layer-cache`): its bytes stay there (the
    /// destination mounts or copies them from it) and `file` is empty.
    var remote: (any ImageSource)? = nil
    /// For a layer known only from an earlier patch's labels (its entry names unknown): the launcher
    /// that patch found in it. Same key, same layer, same launcher.
    var recordedLauncher: [String]? = nil

    init(
        file: String, format: LayerFormat, digest: Digest, size: Int64, diffID: Digest, paths: Set<BytePath>,
        symlinks: [BytePath: String], files: [AgentLayerFile]?, storage: TemporaryDirectory?,
        remote: (any ImageSource)? = nil, recordedLauncher: [String]? = nil
    ) {
        self.file = file
        self.format = format
        descriptor = Descriptor(mediaType: format.mediaType, digest: digest, size: size)
        self.diffID = diffID
        self.paths = paths
        self.symlinks = symlinks
        self.files = files
        self.storage = storage
        self.remote = remote
        self.recordedLauncher = recordedLauncher
    }

    /// The same layer for an image of another family: one built layer serves OCI and Docker images
    /// alike (the bytes, and so the cache key, are the same), only the media type differs.
    func described(as wanted: LayerFormat) throws -> AgentLayer {
        guard wanted.compression == format.compression else {
            throw PatchError.badAgentLayer(
                place: "the agent layer \(digest)",
                reason: "it is compressed with \(format.compression.rawValue), not \(wanted.compression.rawValue)")
        }
        var layer = self
        layer.format = wanted
        layer.descriptor = Descriptor(mediaType: wanted.mediaType, digest: digest, size: size)
        return layer
    }

    /// Where a destination that lacks the layer gets it from. `mountable` is an image known (or
    /// likely) to hold it on some registry: a destination there mounts it rather than uploading
    /// it, and uploads from the file when the mount is declined.
    func origin(mountable: (any ImageSource)? = nil) -> BlobOrigin {
        let descriptor = self.descriptor
        if let remote {
            return BlobOrigin(
                source: remote, open: { try await remote.openBlob(descriptor) },
                stream: { try await remote.streamBlob(descriptor) })
        }
        let file = self.file
        return BlobOrigin(source: mountable) {
            VerifyingReader(try FileReader(path: file), descriptor: descriptor, what: "the built agent layer")
        }
    }
}

/// A regular file of the agent layer: its path in the image (`/opt/…`) and its checksums.
public struct AgentLayerFile: Sendable, Equatable {
    public let path: String
    public let checksums: FileChecksums

    public init(path: String, checksums: FileChecksums) {
        self.path = path
        self.checksums = checksums
    }
}

/// Builds the one layer that carries the agent: applies the agent image's layers as a union
/// filesystem, selects and relocates the agent tree, and writes it as tar -> compression in one
/// streaming pass that hashes the tar (diff_id) and the compressed bytes (digest) on the way to disk.
public struct AgentLayerBuilder: Sendable {
    public let settings: AgentTreeSettings

    public init(settings: AgentTreeSettings) { self.settings = settings }

    /// `agent` is the agent image's manifest for one platform; `source` serves its blobs. `format`
    /// says how to compress the layer and how to label it. `recordingFiles` also hashes every
    /// regular file on its way into the tar, for an SBOM (SHA-256 and SHA-1 of the whole agent: a
    /// fifth of a build's time, so only when asked). `progress` counts the agent's blobs as they are
    /// read and the layer's bytes as they are written.
    public func build(
        agent manifest: ImageManifest, config: ImageConfig, source: any ImageSource,
        format: LayerFormat, recordingFiles: Bool = false, progress: AgentLayerProgress? = nil
    ) async throws -> AgentLayer {
        try settings.validate()
        let diffIDs = config.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw OCIError.malformed(
                "the agent image \(source.reference)",
                "its manifest has \(manifest.layers.count) layers but its config has \(diffIDs.count) diff_ids")
        }
        let budget = AgentSizeBudget(limit: settings.maxUncompressedBytes)
        // Holds the spool, an unlinked file: whatever was spooled is gone when it is released.
        let union = try UnionFilesystem(budget: budget)
        for (index, layer) in manifest.layers.enumerated() {
            let place = "layer \(index + 1) (\(layer.digest.shortDescription)) of the agent image \(source.reference)"
            let expected: Digest
            do { expected = try Digest(parsing: diffIDs[index]) } catch {
                throw OCIError.malformed("the config of the agent image \(source.reference)", "diff_ids[\(index)]: \(error)")
            }
            let blob = try await Self.open(layer, of: source, countingInto: progress)
            let stream = try LayerStream(
                blob: blob, mediaType: layer.mediaType,
                place: place, budget: budget)
            try union.apply(layer: index, stream: stream, place: place)
            try stream.finish(expectedDiffID: expected)
        }
        let selection = AgentTreeSelection(
            installDirectory: settings.installDirectory, agentRoot: settings.agentRoot,
            includes: settings.includes, normalizeModes: settings.normalizeModes,
            defaultTime: settings.defaultTime)
        let entries = selection.entries(of: union)
        guard entries.contains(where: { $0.tar.kind != .directory }) else {
            throw PatchError.emptyAgentTree(
                agent: source.reference, root: "/" + settings.agentRoot,
                includes: settings.includes ?? [])
        }
        return try write(entries, union: union, format: format, recordingFiles: recordingFiles, progress: progress)
    }

    /// An agent blob, its bytes counted into `progress` as they arrive: while a registry downloads
    /// it (before the reader is handed over), else as the reader is read.
    private static func open(_ layer: Descriptor, of source: any ImageSource, countingInto progress: AgentLayerProgress?) async throws
        -> ByteReader
    {
        guard let progress else { return try await source.openBlob(layer) }
        let before = progress.bytesIn
        let blob = try await DownloadMeter.counting(layer.digest.description, into: { progress.setIn(before + $0) }) {
            try await source.openBlob(layer)
        }
        guard progress.bytesIn == before else { return blob }
        return CountingReader(blob) { progress.advanceIn(by: $0) }
    }

    private func write(
        _ entries: [AgentTreeSelection.Entry], union: UnionFilesystem, format: LayerFormat, recordingFiles: Bool,
        progress: AgentLayerProgress?
    ) throws -> AgentLayer {
        let storage = try TemporaryDirectory(prefix: "imagepatch-agent-layer")
        let output = try AtomicFileWriter(path: "\(storage.path)/\(format.compression.fileName)")
        let tarHasher = DigestHasher()
        let compressedHasher = DigestHasher()
        var size: Int64 = 0
        let encoder = try format.compression.makeEncoder()
        let toDisk: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            compressedHasher.update(chunk)
            size += Int64(chunk.count)
            try output.write(chunk)
            progress?.advanceOut(by: chunk.count)
        }
        let tar = try TarWriter { chunk in
            tarHasher.update(chunk)
            try encoder.write(chunk, to: toDisk)
        }
        // The files' checksums are taken from the bytes on their way into the tar: no second read.
        var files: [AgentLayerFile] = []
        var checksumsByPath: [String: FileChecksums] = [:]
        for entry in entries {
            try tar.writeHeader(entry.tar)
            switch entry.tar.kind {
            case .regular:
                let hasher = recordingFiles ? FileChecksumHasher() : nil
                if let node = entry.node {
                    try union.contents(of: node).forEachChunk { chunk in
                        hasher?.update(chunk)
                        try tar.writeData(chunk)
                    }
                }
                if let checksums = hasher?.finalize() {
                    checksumsByPath[entry.path] = checksums
                    files.append(AgentLayerFile(path: "/" + entry.path, checksums: checksums))
                }
            case .hardlink:
                // The selection links only to a regular file written before.
                if let target = entry.tar.linkTarget, let checksums = checksumsByPath[target] {
                    files.append(AgentLayerFile(path: "/" + entry.path, checksums: checksums))
                }
            default: break
            }
        }
        try tar.finish()
        try encoder.finish(to: toDisk)
        try output.commit()
        return AgentLayer(
            file: output.path, format: format, digest: Digest(hex: compressedHasher.finalizeHex()), size: size,
            diffID: Digest(hex: tarHasher.finalizeHex()),
            paths: Set(entries.map { BytePath($0.path) }),
            symlinks: Dictionary(
                entries.compactMap { $0.tar.kind == .symlink ? (BytePath($0.path), $0.tar.linkTarget ?? "") : nil },
                uniquingKeysWith: { first, _ in first }),
            files: recordingFiles ? files : nil, storage: storage)
    }
}

/// What to take from the agent image and where to put it.
public struct AgentTreeSettings: Sendable, Hashable {
    public var installDirectory: String  // relative: "opt/CrowdStrike/rootfs"
    public var agentRoot: String  // relative: "" is /
    public var includes: [String]?  // relative to the agent root
    public var normalizeModes: Bool
    public var defaultTime: Int64
    /// `--max-agent-size`: what the agent image's layers may decompress to, together.
    public var maxUncompressedBytes: Int64

    public static let defaultMaxUncompressedBytes: Int64 = 4 << 30

    /// Where an agent must not be installed, nor below: the application's shared temporary
    /// directories (a sticky 1777 /tmp, often cleared or mounted over at run time) and what the
    /// runtime mounts (/dev, /proc, /sys), which would hide the agent.
    public static let forbiddenInstallRoots = ["tmp", "var/tmp", "dev", "proc", "sys"]

    public init(
        installDirectory: String, agentRoot: String, includes: [String]?, normalizeModes: Bool, defaultTime: Int64,
        maxUncompressedBytes: Int64 = AgentTreeSettings.defaultMaxUncompressedBytes
    ) {
        self.installDirectory = installDirectory
        self.agentRoot = agentRoot
        self.includes = includes
        self.normalizeModes = normalizeModes
        self.defaultTime = defaultTime
        self.maxUncompressedBytes = maxUncompressedBytes
    }

    /// Refuses an install directory that is `/` or lies in one of `forbiddenInstallRoots`, and a
    /// limit below one byte, before anything is read.
    public func validate() throws {
        guard !installDirectory.isEmpty else {
            throw PatchError.invalidOption("--install-dir", "must not be / (the agent would overwrite the application's files)")
        }
        if let root = Self.forbiddenInstallRoots.first(where: { AgentPath.isWithin(installDirectory, $0) }) {
            throw PatchError.invalidOption(
                "--install-dir",
                "/\(installDirectory) is in /\(root), which the application or the container runtime owns (its mode must not change, and it may be mounted over or cleared at run time); choose a directory such as /opt/<agent>"
            )
        }
        guard maxUncompressedBytes > 0 else {
            throw PatchError.invalidOption("--max-agent-size", "must be at least 1 byte")
        }
    }
}
