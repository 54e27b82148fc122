import IOFoundation
import OCI
import Tar

/// The agent image's layers applied in order, as an overlay filesystem would present them.
///
/// Only metadata is kept in memory; regular file contents are appended to one spool file, so
/// memory does not grow with the agent's size. Whiteouts (`.wh.NAME`) and opaque
/// directories (`.wh..wh..opq`) hide entries of lower layers only, as the OCI spec says.
///
/// The merged tree is kept as a tree (one slot per name, its children by name), not as a map of
/// full paths: finding an entry's parent and checking that none of its ancestors is a file or a
/// link then costs the length of its name, not its depth times its length, so 3,000-deep paths
/// merge in linear time. Slots refer to each other by index: nothing recurses, and a deep chain
/// is freed without a deep stack.
final class UnionFilesystem {
    struct Node {
        enum Kind { case directory, regular, symlink }
        var kind: Kind
        var mode: UInt32
        var modificationTime: Int64
        var layer: Int
        /// Symlink target, byte for byte as stored (it need not be UTF-8).
        var symlinkTarget: [UInt8]?
        /// Identity of a regular file's content in the spool; hardlinked paths share one.
        var spoolID: Int?
        var spoolOffset: Int64 = 0
        var size: Int64
    }

    private struct Slot {
        /// The last component, compared byte for byte: "café" in NFC and in NFD are two files.
        var name: String
        var parent: Int
        /// nil: a directory no entry listed, present because names below it exist.
        var node: Node?
        var children: [BytePath: Int] = [:]
        /// The layer in which everything of lower layers below this directory was last hidden. In
        /// that layer nothing lower can appear below it again (what the layer adds is its own), so
        /// hiding it again has nothing to do: 50,000 repeated opaque markers cost one scan.
        var hiddenInLayer = -1
    }

    private static let root = 0
    private var slots = [Slot(name: "", parent: -1)]
    private var freeSlots: [Int] = []
    /// Names in the tree, including directories only implied by deeper names.
    private(set) var count = 0
    private var entriesSeen = 0
    private let spool: SpoolFile
    private var nextSpoolID = 0
    private let budget: AgentSizeBudget

    init(budget: AgentSizeBudget = AgentSizeBudget(limit: AgentTreeSettings.defaultMaxUncompressedBytes)) throws {
        spool = try SpoolFile()
        self.budget = budget
    }

    /// The content of a regular file node.
    func contents(of node: Node) -> ByteReader {
        spool.reader(offset: node.spoolOffset, count: node.spoolID == nil ? 0 : node.size)
    }

    /// The node an entry put at `path` ("lib64/libc.so.6"), if any.
    func node(at path: String) -> Node? {
        lookup(path.pathComponents()).flatMap { slots[$0].node }
    }

    /// Every node an entry put strictly below `path` ("" for all), unordered. Paths are built while
    /// walking, so each costs its own length, and directories only implied by deeper names cost none.
    func listedNodes(under path: String) -> [(path: String, node: Node)] {
        guard let start = lookup(path.pathComponents()) else { return [] }
        var result: [(path: String, node: Node)] = []
        var current = Array(path.utf8)
        var pending = slots[start].children.values.map { (slot: $0, parentLength: current.count) }
        while let (slot, parentLength) = pending.popLast() {
            current.removeSubrange(parentLength...)
            if parentLength > 0 { current.append(UInt8(ascii: "/")) }
            current.append(contentsOf: slots[slot].name.utf8)
            if let node = slots[slot].node { result.append((String(decoding: current, as: UTF8.self), node)) }
            pending.append(contentsOf: slots[slot].children.values.map { (slot: $0, parentLength: current.count) })
        }
        return result
    }

    /// Applies one layer; `stream` yields its uncompressed tar bytes.
    func apply(layer index: Int, stream: ByteReader, place: String) throws {
        let reader: TarReader
        do {
            reader = try TarReader(reading: stream, decompressing: false)
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
            guard entry.path.utf8.count <= AgentPath.maxNameBytes else {
                throw PatchError.hostileAgentEntry(
                    place: place, path: String(entry.path.prefix(80)) + "…",
                    reason: "the name is longer than \(AgentPath.maxNameBytes) bytes")
            }
            guard let path = try AgentPath.normalize(entry: entry.path, place: place) else { continue }
            var components = path.pathComponents()
            let name = components.removeLast()
            if name.bytesEqual(".wh..wh..opq") {
                if let directory = try find(components, entry: entry.path, place: place) { hideLower(below: directory, layer: index) }
                continue
            }
            if name.bytesHavePrefix(".wh.") {
                let hiddenName = BytePath(name.droppingFirstBytes(4))
                if let directory = try find(components, entry: entry.path, place: place),
                    let hidden = slots[directory].children[hiddenName]
                {
                    hideLower(below: hidden, layer: index)
                    if slots[hidden].children.isEmpty, (slots[hidden].node?.layer ?? -1) < index { free(hidden) }
                }
                continue
            }
            switch entry.kind {
            case .directory:
                let slot = try makeSlot(components, name, entry: entry.path, place: place)
                if var existing = slots[slot].node, existing.kind == .directory {
                    existing.mode = entry.mode
                    existing.modificationTime = entry.modificationTime
                    existing.layer = index
                    slots[slot].node = existing
                } else {
                    // A file or link has no children; an implied directory keeps the ones it has.
                    slots[slot].node = Node(
                        kind: .directory, mode: entry.mode, modificationTime: entry.modificationTime,
                        layer: index, size: 0)
                }
            case .regular:
                try budget.checkSpool(length: spool.length, adding: entry.size, entry: entry.path, place: place)
                let slot = try makeSlot(components, name, entry: entry.path, place: place)
                removeDescendants(of: slot)
                let id = nextSpoolID
                nextSpoolID += 1
                let start = spool.length
                while true {
                    let n: Int
                    do { n = try reader.readData(into: buffer) } catch let error as TarError {
                        throw PatchError.badAgentLayer(place: place, reason: "\(error)")
                    }
                    if n == 0 { break }
                    try spool.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), place: place)
                    try budget.checkSpool(length: start, adding: spool.length - start, entry: entry.path, place: place)
                }
                slots[slot].node = Node(
                    kind: .regular, mode: entry.mode, modificationTime: entry.modificationTime,
                    layer: index, spoolID: id, spoolOffset: start, size: spool.length - start)
            case .symlink:
                let target = entry.linkTargetBytes ?? []
                guard target.count <= AgentPath.maxNameBytes else {
                    throw PatchError.hostileAgentEntry(
                        place: place, path: entry.path,
                        reason: "its link target is longer than \(AgentPath.maxNameBytes) bytes")
                }
                let slot = try makeSlot(components, name, entry: entry.path, place: place)
                removeDescendants(of: slot)
                slots[slot].node = Node(
                    kind: .symlink, mode: 0o777, modificationTime: entry.modificationTime,
                    layer: index, symlinkTarget: target, size: 0)
            case .hardlink:
                // Names are UTF-8 (TarReader refuses others), so a target that is not names nothing.
                let targetName = entry.linkTarget ?? ""
                guard let bytes = entry.linkTargetBytes, bytes.count <= AgentPath.maxNameBytes,
                    String(validating: bytes, as: UTF8.self) != nil,
                    let targetPath = try AgentPath.normalize(entry: targetName, place: place),
                    var linked = node(at: targetPath), linked.kind == .regular
                else {
                    throw PatchError.hostileAgentEntry(
                        place: place, path: entry.path,
                        reason: "it is a hard link to \(targetName.debugDescription), which is not an earlier regular file")
                }
                let slot = try makeSlot(components, name, entry: entry.path, place: place)
                removeDescendants(of: slot)
                linked.layer = index
                linked.modificationTime = entry.modificationTime
                slots[slot].node = linked
            case .characterDevice, .blockDevice:
                throw PatchError.hostileAgentEntry(place: place, path: entry.path, reason: "device nodes are not allowed in an agent")
            case .fifo, .socket:
                throw PatchError.hostileAgentEntry(place: place, path: entry.path, reason: "special files are not allowed in an agent")
            }
        }
    }

    private func lookup(_ components: [String]) -> Int? {
        var current = Self.root
        for component in components {
            guard let next = slots[current].children[BytePath(component)] else { return nil }
            current = next
        }
        return current
    }

    /// The directory `components` names, or nil when it does not exist. A name whose parent is a
    /// file or a symlink would be written wherever that link points: it is refused.
    private func find(_ components: [String], entry: String, place: String) throws -> Int? {
        var current = Self.root
        for (depth, component) in components.enumerated() {
            guard let next = slots[current].children[BytePath(component)] else { return nil }
            try refuseNonDirectory(next, components[...depth], entry: entry, place: place)
            current = next
        }
        return current
    }

    /// The slot for `name` in the directory `components`, made (with any missing parents) if needed.
    private func makeSlot(_ components: [String], _ name: String, entry: String, place: String) throws -> Int {
        var current = Self.root
        for (depth, component) in components.enumerated() {
            if let next = slots[current].children[BytePath(component)] {
                try refuseNonDirectory(next, components[...depth], entry: entry, place: place)
                current = next
            } else {
                current = try allocate(component, under: current, place: place)
            }
        }
        if let existing = slots[current].children[BytePath(name)] { return existing }
        return try allocate(name, under: current, place: place)
    }

    private func refuseNonDirectory(_ slot: Int, _ path: ArraySlice<String>, entry: String, place: String) throws {
        guard let node = slots[slot].node, node.kind != .directory else { return }
        let what = node.kind == .symlink ? "symbolic link" : "file"
        throw PatchError.hostileAgentEntry(
            place: place, path: entry,
            reason: "it passes through the \(what) \(path.joined(separator: "/").debugDescription)")
    }

    private func allocate(_ name: String, under parent: Int, place: String) throws -> Int {
        guard count < Limits.agentEntries else {
            throw PatchError.badAgentLayer(place: place, reason: "the agent has more than \(Limits.agentEntries) files and directories")
        }
        let slot = Slot(name: name, parent: parent)
        let index: Int
        if let reused = freeSlots.popLast() {
            slots[reused] = slot
            index = reused
        } else {
            slots.append(slot)
            index = slots.count - 1
        }
        slots[parent].children[BytePath(name)] = index
        count += 1
        return index
    }

    /// Hides what lower layers put below `directory`; what this layer already put there stays,
    /// with the directories leading to it.
    private func hideLower(below directory: Int, layer: Int) {
        guard slots[directory].hiddenInLayer != layer else { return }
        var pending = [(slot: directory, childrenDone: false)]
        while let (slot, childrenDone) = pending.popLast() {
            if !childrenDone {
                pending.append((slot, true))
                for child in slots[slot].children.values where slots[child].hiddenInLayer != layer {
                    pending.append((child, false))
                }
            } else if slot != directory, slots[slot].children.isEmpty, (slots[slot].node?.layer ?? -1) < layer {
                free(slot)
            } else {
                slots[slot].hiddenInLayer = layer
            }
        }
    }

    /// A new entry replaces what was at its path; a replaced directory takes everything below along.
    private func removeDescendants(of directory: Int) {
        var pending = Array(slots[directory].children.values)
        slots[directory].children = [:]
        while let slot = pending.popLast() {
            pending.append(contentsOf: slots[slot].children.values)
            release(slot)
        }
    }

    /// Unlinks a slot that has no children from its parent.
    private func free(_ slot: Int) {
        slots[slots[slot].parent].children[BytePath(slots[slot].name)] = nil
        release(slot)
    }

    private func release(_ slot: Int) {
        slots[slot] = Slot(name: "", parent: -1)
        freeSlots.append(slot)
        count -= 1
    }
}
