import Glibc
import Hashing
import IOFoundation
import JSON
import Logging
import OCI
import Synchronization

/// Agent layers kept between runs, by `AgentLayerKey`: `DIR/layers/KEY/layer.tar.gz` (or
/// `layer.tar.zst`: the key includes the compression) and `DIR/layers/KEY/entry.json` (digest,
/// diff_id, size, the entry names the launcher lookup needs, and, when the build recorded them, the
/// files' checksums an SBOM lists; a run that needs them and finds none rebuilds the entry).
///
/// - A cached layer is used only once its size and digest check out; a damaged entry is removed and
///   the layer rebuilt. Within a process an entry is verified once.
/// - Several processes may share the directory: entries appear by renaming a finished directory into
///   place, readers hard-link the layer into a private directory under a shared lock, and eviction
///   runs under an exclusive one (`flock` on `DIR/lock`).
/// - The layers' total size stays under `maxBytes`: the least recently used entries go first
///   (each use touches `entry.json`).
/// - The cache only saves work: when it cannot be read or written, the run goes on without it.
public final class AgentLayerCache: Sendable {
    public let directory: String
    public let maxBytes: Int64
    let logger: Logger
    /// Layers this process has built or verified, and builds in flight, so concurrent patches of
    /// one fleet build each layer once.
    private let inProcess = Mutex<[AgentLayerKey: Task<AgentLayer, Error>]>([:])

    public static let defaultMaxBytes: Int64 = 2 << 30
    /// entry.json lists every path of the layer; an agent has at most `Limits.agentEntries`.
    static let entryBytes = 256 << 20

    public init(directory: String, maxBytes: Int64 = defaultMaxBytes, logger: Logger) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.logger = logger
    }

    /// `$XDG_CACHE_HOME/imagepatch`, or `~/.cache/imagepatch`; nil when neither variable is set.
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return "\(cache)/imagepatch" }
        if let home = environment["HOME"], home.hasPrefix("/") { return "\(home)/.cache/imagepatch" }
        return nil
    }

    var layersDirectory: String { "\(directory)/layers" }

    /// The layer for `key`: from this process, from the directory (verified), or from `build`,
    /// whose result is then stored. `format` is the key's compression in the family of the image
    /// asking: a layer this process made for an image of the other family is relabelled.
    public func layer(
        for key: AgentLayerKey, format: LayerFormat, needsFiles: Bool = false,
        build: @escaping @Sendable () async throws -> AgentLayer
    ) async throws -> AgentLayer {
        let task: Task<AgentLayer, Error> = inProcess.withLock { inProcess in
            if let running = inProcess[key] { return running }
            // Reading, hashing and copying layer files blocks: off the cooperative pool.
            let task = Task<AgentLayer, Error>(executorPreference: BlockingExecutor.shared) {
                let cached = self.cached(key, format: format)
                if let cached, cached.files != nil || !needsFiles { return cached }
                if cached != nil {
                    self.logger.info("the cached agent layer \(key.hex) has no file list for the SBOM; building it again")
                }
                let built = try await build()
                self.store(built, key: key, replacing: cached != nil)
                return built
            }
            inProcess[key] = task
            return task
        }
        do { return try await task.value.described(as: format) } catch {
            inProcess.withLock { $0[key] = nil }  // a failed build may succeed on a later call
            throw error
        }
    }

    /// A verified cached layer, or nil (missing, unreadable or damaged, which is said and removed).
    func cached(_ key: AgentLayerKey, format: LayerFormat) -> AgentLayer? {
        let entry = "\(layersDirectory)/\(key.hex)"
        let name = format.compression.fileName
        guard FileSystem.exists("\(entry)/entry.json") else { return nil }
        do {
            let (record, inUse) = try withDirectoryLock(LOCK_SH) { () -> (CacheRecord, TemporaryDirectory) in
                let record = try CacheRecord(
                    bytes: FileSystem.readFile(
                        "\(entry)/entry.json", limit: Self.entryBytes,
                        what: "the cache entry \(entry)"), key: key)
                let inUse = try TemporaryDirectory(near: "\(layersDirectory)/x", prefix: "imagepatch-in-use")
                guard link("\(entry)/\(name)", "\(inUse.path)/\(name)") == 0 else {
                    throw OCIError.io("cannot link \(entry)/\(name): \(String(cString: strerror(errno)))")
                }
                return (record, inUse)
            }
            let file = "\(inUse.path)/\(name)"
            let layer = AgentLayer(
                file: file, format: format, digest: record.digest, size: record.size, diffID: record.diffID,
                paths: record.paths, symlinks: record.symlinks, files: record.files, storage: inUse)
            try VerifyingReader(try FileReader(path: file), descriptor: layer.descriptor, what: "the cached agent layer \(entry)").drain()
            _ = utimensat(AT_FDCWD, "\(entry)/entry.json", nil, 0)
            logger.info("using the cached agent layer \(record.digest.shortDescription) (\(record.size) bytes) from \(entry)")
            return layer
        } catch {
            logger.warning("the cached agent layer \(entry) is not usable (\(error)); rebuilding it")
            try? withDirectoryLock(LOCK_EX) { Self.remove(entry) }
            return nil
        }
    }

    /// Adds a freshly built layer, then evicts down to `maxBytes`. Failures only cost the cache.
    /// `replacing`: the entry there lacks what this one has (the file list).
    func store(_ layer: AgentLayer, key: AgentLayerKey, replacing: Bool = false) {
        guard layer.remote == nil else { return }  // its bytes live in the registry layer cache
        guard layer.size <= maxBytes else {
            logger.info("not caching the agent layer \(layer.digest.shortDescription): \(layer.size) bytes is more than --cache-max")
            return
        }
        do {
            try FileSystem.makeDirectories(layersDirectory, mode: 0o700)
            // Removed on an interrupt too; after the rename into place there is nothing left to remove.
            let stagingDirectory = try TemporaryDirectory(near: "\(layersDirectory)/x", prefix: "imagepatch-new")
            let staging = stagingDirectory.path
            let name = layer.format.compression.fileName
            if link(layer.file, "\(staging)/\(name)") != 0 {
                // Another filesystem than $TMPDIR: copy.
                let writer = try AtomicFileWriter(path: "\(staging)/\(name)")
                try FileReader(path: layer.file).forEachChunk { try writer.write($0) }
                try writer.commit()
            }
            try FileSystem.writeFileAtomically("\(staging)/entry.json", CacheRecord(layer: layer, key: key).bytes)
            try withDirectoryLock(LOCK_EX) {
                if replacing { Self.remove("\(layersDirectory)/\(key.hex)") }
                // An entry another process stored meanwhile wins: same key, same bytes.
                if Glibc.rename(staging, "\(layersDirectory)/\(key.hex)") == 0 {
                    logger.info("cached the agent layer \(layer.digest.shortDescription) in \(layersDirectory)/\(key.hex)")
                }
                evict(keeping: key)
            }
        } catch {
            logger.warning("cannot cache the agent layer in \(directory): \(error)")
        }
    }

    /// Least recently used first, until the layers fit; never the entry just stored. Leftovers of
    /// processes that died mid-store are swept after a day.
    private func evict(keeping kept: AgentLayerKey) {
        var entries: [(path: String, used: Int, size: Int64)] = []
        var total: Int64 = 0
        for name in (try? FileSystem.listDirectory(layersDirectory)) ?? [] {
            let path = "\(layersDirectory)/\(name)"
            var info = stat()
            if name.hasPrefix(".imagepatch-new-") || name.hasPrefix(".imagepatch-in-use-") {
                if lstat(path, &info) == 0, Int(info.st_mtim.tv_sec) < Int(time(nil)) - 86_400 { Self.remove(path) }
                continue
            }
            guard AgentLayerKey(recorded: name) != nil, name != kept.hex else { continue }
            guard stat("\(path)/entry.json", &info) == 0, let size = Self.layerFileSize(in: path) else { continue }
            entries.append((path, Int(info.st_mtim.tv_sec), size))
            total += size
        }
        total += Self.layerFileSize(in: "\(layersDirectory)/\(kept.hex)") ?? 0
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > maxBytes {
            Self.remove(entry.path)
            total -= entry.size
            logger.info("evicted the cached agent layer \(entry.path) (\(entry.size) bytes)")
        }
    }

    /// The size of an entry's layer file, whichever its compression; nil when it has none.
    private static func layerFileSize(in entry: String) -> Int64? {
        for compression in LayerCompression.allCases {
            var info = stat()
            if stat("\(entry)/\(compression.fileName)", &info) == 0 { return Int64(info.st_size) }
        }
        return nil
    }

    /// Renamed out of the way first, so no reader sees half an entry.
    private static func remove(_ entry: String) {
        let doomed = "\(FileSystem.parentDirectory(of: entry))/.imagepatch-in-use-evicted-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if Glibc.rename(entry, doomed) == 0 { FileSystem.removeTree(doomed) }
    }

    private func withDirectoryLock<T>(_ operation: Int32, _ body: () throws -> T) throws -> T {
        try FileSystem.makeDirectories(directory, mode: 0o700)
        let descriptor = open("\(directory)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw OCIError.io("cannot open \(directory)/lock: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, operation) != 0 {
            guard errno == EINTR else { throw OCIError.io("cannot lock \(directory)/lock: \(String(cString: strerror(errno)))") }
        }
        return try body()
    }
}

/// entry.json: what a cached layer is, checked field by field when read back.
struct CacheRecord {
    let digest: Digest
    let diffID: Digest
    let size: Int64
    let paths: Set<BytePath>
    let symlinks: [BytePath: String]
    let files: [AgentLayerFile]?

    init(layer: AgentLayer, key: AgentLayerKey) {
        digest = layer.digest
        diffID = layer.diffID
        size = layer.size
        paths = layer.paths
        symlinks = layer.symlinks
        files = layer.files
        var object = JSONObject()
        object["key"] = .string(key.hex)
        object["digest"] = .string(digest.description)
        object["diffID"] = .string(diffID.description)
        object["size"] = .integer(size)
        object["paths"] = .array(paths.sorted().map { .string($0.string) })
        object["symlinks"] = .object(JSONObject(symlinks.sorted { $0.key < $1.key }.map { ($0.key.string, .string($0.value)) }))
        if let files {
            object["files"] = .array(
                files.map { .array([.string($0.path), .string($0.checksums.sha256Hex), .string($0.checksums.sha1Hex)]) })
        }
        bytes = JSONValue.object(object).serialized()
    }

    let bytes: [UInt8]

    init(bytes: [UInt8], key: AgentLayerKey) throws {
        let value = try JSONValue(parsing: bytes)
        guard value["key"]?.stringValue == key.hex,
            let digest = value["digest"]?.stringValue.flatMap({ try? Digest(parsing: $0) }),
            let diffID = value["diffID"]?.stringValue.flatMap({ try? Digest(parsing: $0) }),
            let size = value["size"]?.int64Value, size > 0,
            let paths = value["paths"]?.arrayValue, paths.count <= Limits.agentEntries,
            let symlinks = value["symlinks"]?.objectValue,
            value["files"] == nil || (value["files"]?.arrayValue?.count ?? Int.max) <= Limits.agentEntries
        else {
            throw OCIError.malformed("the cache entry for \(key.hex)", "entry.json does not describe a layer with this key")
        }
        self.digest = digest
        self.diffID = diffID
        self.size = size
        self.paths = Set(
            try paths.map { value in
                guard let path = value.stringValue else {
                    throw OCIError.malformed("the cache entry for \(key.hex)", "a path is not a string")
                }
                return BytePath(path)
            })
        var links: [BytePath: String] = [:]
        for member in symlinks {
            let (path, target) = (member.key, member.value)
            guard let target = target.stringValue else {
                throw OCIError.malformed("the cache entry for \(key.hex)", "a link target is not a string")
            }
            links[BytePath(path)] = target
        }
        self.symlinks = links
        self.files = try value["files"]?.arrayValue?.map { value in
            guard let fields = value.arrayValue, fields.count == 3, let path = fields[0].stringValue, path.hasPrefix("/"),
                let sha256 = fields[1].stringValue, Self.isHex(sha256, count: 64),
                let sha1 = fields[2].stringValue, Self.isHex(sha1, count: 40)
            else {
                throw OCIError.malformed("the cache entry for \(key.hex)", "a file is not [path, sha256, sha1]")
            }
            return AgentLayerFile(path: path, checksums: FileChecksums(sha256Hex: sha256, sha1Hex: sha1))
        }
        self.bytes = bytes
    }

    private static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
