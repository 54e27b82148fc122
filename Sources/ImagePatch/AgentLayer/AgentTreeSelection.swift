import OCI
import Tar

/// The part of the agent's union filesystem that goes into the application image: the tree under
/// the agent root, restricted to the included paths, moved under the install directory.
///
/// Directories the layer writes are the agent's own: the install directory, what the agent lists
/// under it, and the parents of an `--include` below the agent root. The install directory's own
/// parents (`opt/`, `tmp/`…) are never written, so a directory the application already has keeps
/// its mode and owner (a sticky 1777 `/tmp` stays so); unpackers (umoci, containerd, overlay
/// snapshotters) create a missing parent themselves, root-owned 0755. So do they for a directory
/// the agent never listed but implied by a deeper name: writing those would let a few kilobytes of
/// deep names ask for gigabytes of directory headers.
struct AgentTreeSelection {
    struct Entry {
        var path: String  // in the output layer, relative ("opt/CrowdStrike/rootfs/bin/bash")
        var tar: TarEntry
        /// The merged node a regular file's bytes come from (nil for directories made up here).
        var node: UnionFilesystem.Node?
    }

    let installDirectory: String  // relative, e.g. "opt/CrowdStrike/rootfs"
    let agentRoot: String  // relative, "" for /
    let includes: [String]?  // relative to agentRoot; nil means everything
    let normalizeModes: Bool  // chmod -R a=rX
    let defaultTime: Int64

    /// Paths (relative to the agent root) that exist and are selected, in output order.
    func entries(of union: UnionFilesystem) -> [Entry] {
        var entries = [madeDirectory(installDirectory)]
        var parents = Set<BytePath>()
        for base in selectedSubtrees() {
            var found = union.listedNodes(under: base)
            if !base.bytesEqual(agentRoot), let node = union.node(at: base) { found.append((base, node)) }
            guard !found.isEmpty else { continue }
            for (path, node) in found {
                let output = outputPath(path)
                entries.append(Entry(path: output, tar: tarEntry(output, node, agentPath: path), node: node))
            }
            // The include's parents below the agent root (`usr` for `usr/lib64`).
            var parent = base.pathParent()
            while AgentPath.isWithin(parent, agentRoot), !parent.bytesEqual(agentRoot), parents.insert(BytePath(parent)).inserted {
                entries.append(madeDirectory(outputPath(parent)))
                parent = parent.pathParent()
            }
        }
        // Byte order: stable, and the same whatever Unicode normalisation the names use.
        entries.sort { BytePath($0.path) < BytePath($1.path) }
        // A tar hard link must follow the file it names: the first path of each group carries
        // the data, the others link to it.
        var firstPathBySpool: [Int: String] = [:]
        for i in entries.indices {
            guard let id = entries[i].node?.spoolID, entries[i].tar.kind == .regular else { continue }
            if let first = firstPathBySpool[id] {
                entries[i].tar.kind = .hardlink
                entries[i].tar.linkTarget = first
                entries[i].tar.size = 0
            } else {
                firstPathBySpool[id] = entries[i].path
            }
        }
        return entries
    }

    /// The agent paths whose subtrees are taken: the agent root, or each include under it (an
    /// include inside another is part of it already).
    func selectedSubtrees() -> [String] {
        guard let includes else { return [agentRoot] }
        var kept: [String] = []
        for include in includes.sorted(by: { $0.utf8.count < $1.utf8.count })
        where !kept.contains(where: { AgentPath.isWithin(include, $0) }) {
            kept.append(include)
        }
        return kept.map { AgentPath.join(agentRoot, $0) }
    }

    func outputPath(_ agentPath: String) -> String {
        AgentPath.join(installDirectory, AgentPath.relative(agentPath, to: agentRoot))
    }

    /// Where a symlink of the agent may point once it is in the application image. Its target is
    /// resolved lexically from the link's own directory in the agent image (an absolute target from
    /// the agent's root; ".." at the root stays there, as the kernel has it).
    ///
    /// - A relative target whose ".." only climb the link's own parent directories, and never above
    ///   the agent root, is kept byte for byte: moved along with the tree, it reaches the same file.
    /// - Anything else is rewritten as the absolute path it resolves to, re-rooted under the install
    ///   directory: an absolute target (`/lib64/x` in the agent must not mean the application's
    ///   /lib64), one climbing out of the agent root (`../../../../etc/shadow`), and one with ".."
    ///   after a name (`x/../..`), since a symlink at `x` would make the kernel climb from wherever
    ///   `x` points. The rewritten path has no "." or "..", so no link can lead out of the install
    ///   directory.
    func linkTarget(_ target: [UInt8], at agentPath: String) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let absolute = target.first == slash
        let floor = agentRoot.pathComponents().count
        var resolved: [ArraySlice<UInt8>] = absolute ? [] : Array(Array(agentPath.utf8).split(separator: slash).dropLast())
        var keep = !absolute
        var afterName = false
        for part in target.split(separator: slash) {
            if part.elementsEqual(".".utf8) { continue }
            if part.elementsEqual("..".utf8) {
                if afterName || resolved.count <= floor { keep = false }
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            afterName = true
            resolved.append(part)
        }
        if keep { return target }
        let agentRootParts = Array(agentRoot.utf8).split(separator: slash)
        let relocated = resolved.starts(with: agentRootParts, by: { $0.elementsEqual($1) }) ? Array(resolved.dropFirst(floor)) : resolved
        var result = [slash] + Array(installDirectory.utf8)
        for part in relocated { result += [slash] + part }
        return result
    }

    private func madeDirectory(_ output: String) -> Entry {
        Entry(
            path: output,
            tar: TarEntry(
                path: output + "/", kind: .directory, mode: normalizeModes ? 0o555 : 0o755,
                modificationTime: defaultTime), node: nil)
    }

    private func tarEntry(_ output: String, _ node: UnionFilesystem.Node, agentPath: String) -> TarEntry {
        switch node.kind {
        case .directory:
            return TarEntry(
                path: output + "/", kind: .directory, mode: mode(node.mode, executable: true),
                modificationTime: node.modificationTime)
        case .regular:
            return TarEntry(
                path: output, kind: .regular, size: node.size,
                mode: mode(node.mode, executable: node.mode & 0o111 != 0),
                modificationTime: node.modificationTime)
        case .symlink:
            var entry = TarEntry(path: output, kind: .symlink, mode: 0o777, modificationTime: node.modificationTime)
            entry.linkTargetBytes = linkTarget(node.symlinkTarget ?? [], at: agentPath)
            return entry
        }
    }

    private func mode(_ original: UInt32, executable: Bool) -> UInt32 {
        guard normalizeModes else { return original & 0o7777 }
        return executable ? 0o555 : 0o444
    }
}
