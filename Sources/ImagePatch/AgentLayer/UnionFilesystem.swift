import GzipDecoding
import Hashing
import OCI
import Tar

/// The agent image's layers applied in order, as an overlay filesystem would present them.
///
/// Only metadata is kept in memory; regular file contents are appended to one spool file, so
/// memory does not grow with the agent's size. Whiteouts (`.wh.NAME`) and opaque
/// directories (`.wh..wh..opq`) hide entries of lower layers only, as the OCI spec says.
final class UnionFilesystem {
    struct Node {
        enum Kind { case directory, regular, symlink }
        var kind: Kind
        var mode: UInt32
        var modificationTime: Int64
        var layer: Int
        /// Symlink target as stored.
        var symlinkTarget: String?
        /// Identity of a regular file's content in the spool; hardlinked paths share one.
        var spoolID: Int?
        var spoolOffset: Int64 = 0
        var size: Int64
    }

    /// Keyed byte for byte: "café" in NFC and in NFD are two files, as on disk.
    private(set) var nodes: [BytePath: Node] = [:]
    /// Directory → its direct children's paths, so whiteouts touch only the subtree they hide
    /// (a scan of every node per whiteout would let a hostile agent make the merge quadratic).
    private var children: [BytePath: Set<BytePath>] = [:]
    private var entriesSeen = 0
    private let spool: SpoolFile
    private var nextSpoolID = 0

    init() throws {
        spool = try SpoolFile()
    }

    /// The content of a regular file node.
    func contents(of node: Node) -> ByteReader {
        spool.reader(offset: node.spoolOffset, count: node.spoolID == nil ? 0 : node.size)
    }

    /// Applies one layer; `stream` yields its uncompressed tar bytes.
    func apply(layer index: Int, stream: ByteReader, place: String) throws {
        let reader: TarReader
        do {
            reader = try TarReader(decompressing: false) { try stream.read(into: $0) }
        } catch let error as TarError {
            throw PatchError.badAgentLayer(place: place, reason: "\(error)")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let entry: TarEntry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
            } catch let error as TarError {
                throw PatchError.badAgentLayer(place: place, reason: "\(error)")
            }
            entriesSeen += 1
            guard entriesSeen <= Limits.agentEntries else {
                throw PatchError.badAgentLayer(place: place, reason: "the agent has more than \(Limits.agentEntries) entries")
            }
            guard entry.path.utf8.count <= 4096 else {
                throw PatchError.hostileAgentEntry(place: place, path: String(entry.path.prefix(80)) + "…", reason: "the name is longer than 4096 bytes")
            }
            guard let path = try AgentPath.normalize(entry: entry.path, place: place) else { continue }
            try refusePathThroughSymlink(path, entry: entry.path, place: place)
            let name = path.pathLastComponent()
            let directory = AgentPath.parent(path)
            if name.bytesEqual(".wh..wh..opq") {
                removeDescendants(of: directory, below: index)
                continue
            }
            if name.bytesHavePrefix(".wh.") {
                let hidden = AgentPath.join(directory, name.droppingFirstBytes(4))
                remove(hidden, below: index)
                continue
            }
            switch entry.kind {
            case .directory:
                if var existing = nodes[BytePath(path)], existing.kind == .directory {
                    existing.mode = entry.mode
                    existing.modificationTime = entry.modificationTime
                    existing.layer = index
                    set(path, existing)
                } else {
                    replace(path, below: index)
                    set(path, Node(kind: .directory, mode: entry.mode, modificationTime: entry.modificationTime,
                                       layer: index, size: 0))
                }
            case .regular:
                replace(path, below: index)
                let id = nextSpoolID
                nextSpoolID += 1
                let start = spool.length
                while true {
                    let n: Int
                    do { n = try reader.readData(into: buffer) } catch let error as TarError {
                        throw PatchError.badAgentLayer(place: place, reason: "\(error)")
                    }
                    if n == 0 { break }
                    try spool.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    guard spool.length <= Limits.agentUncompressedBytes else {
                        throw OCIError.tooLarge(what: "the agent's files (uncompressed, at \(place))", limit: Limits.agentUncompressedBytes)
                    }
                }
                set(path, Node(kind: .regular, mode: entry.mode, modificationTime: entry.modificationTime,
                               layer: index, spoolID: id, spoolOffset: start, size: spool.length - start))
            case .symlink:
                replace(path, below: index)
                set(path, Node(kind: .symlink, mode: 0o777, modificationTime: entry.modificationTime,
                               layer: index, symlinkTarget: entry.linkTarget ?? "", size: 0))
            case .hardlink:
                guard let targetPath = try AgentPath.normalize(entry: entry.linkTarget ?? "", place: place),
                      let target = nodes[BytePath(targetPath)], target.kind == .regular else {
                    throw PatchError.hostileAgentEntry(place: place, path: entry.path,
                        reason: "it is a hard link to \((entry.linkTarget ?? "").debugDescription), which is not an earlier regular file")
                }
                replace(path, below: index)
                var linked = target
                linked.layer = index
                linked.modificationTime = entry.modificationTime
                set(path, linked)
            case .characterDevice, .blockDevice:
                throw PatchError.hostileAgentEntry(place: place, path: entry.path, reason: "device nodes are not allowed in an agent")
            case .fifo, .socket:
                throw PatchError.hostileAgentEntry(place: place, path: entry.path, reason: "special files are not allowed in an agent")
            }
        }
    }

    /// A name whose parent is a symlink would be written wherever that link points: refuse it.
    private func refusePathThroughSymlink(_ path: String, entry: String, place: String) throws {
        for ancestor in AgentPath.ancestors(path) {
            if let node = nodes[BytePath(ancestor)], node.kind != .directory {
                let what = node.kind == .symlink ? "symbolic link" : "file"
                throw PatchError.hostileAgentEntry(place: place, path: entry,
                    reason: "it passes through the \(what) \(ancestor.debugDescription)")
            }
        }
    }

    /// A new entry replaces what was at its path; a replaced directory takes its lower contents along.
    private func replace(_ path: String, below layer: Int) {
        let key = BytePath(path)
        if let existing = nodes[key], existing.kind == .directory {
            removeDescendants(of: key, below: Int.max)
        }
        delete(key)
    }

    private func remove(_ path: String, below layer: Int) {
        let key = BytePath(path)
        removeDescendants(of: key, below: layer)
        if let node = nodes[key], node.layer < layer, children[key]?.isEmpty ?? true { delete(key) }
    }

    private func removeDescendants(of directory: String, below layer: Int) {
        removeDescendants(of: BytePath(directory), below: layer)
    }

    /// Removes what lower layers put under `directory`; what this layer already put there stays.
    private func removeDescendants(of directory: BytePath, below layer: Int) {
        for child in children[directory] ?? [] {
            removeDescendants(of: child, below: layer)
            if let node = nodes[child], node.layer < layer, children[child]?.isEmpty ?? true { delete(child) }
        }
    }

    private func set(_ path: String, _ node: Node) {
        let key = BytePath(path)
        if nodes.updateValue(node, forKey: key) == nil {
            children[BytePath(AgentPath.parent(path)), default: []].insert(key)
        }
    }

    private func delete(_ key: BytePath) {
        guard nodes.removeValue(forKey: key) != nil else { return }
        children[BytePath(AgentPath.parent(key.string))]?.remove(key)
        children[key] = nil
    }
}
