import OCI
import Tar

/// The part of the agent's union filesystem that goes into the application image: the tree under
/// the agent root, restricted to the included paths, moved under the install directory.
struct AgentTreeSelection {
    struct Entry {
        var path: String          // in the output layer, relative ("opt/CrowdStrike/rootfs/bin/bash")
        var tar: TarEntry
        /// The merged node a regular file's bytes come from (nil for directories made up here).
        var node: UnionFilesystem.Node?
    }

    let installDirectory: String  // relative, e.g. "opt/CrowdStrike/rootfs"
    let agentRoot: String         // relative, "" for /
    let includes: [String]?       // relative to agentRoot; nil means everything
    let normalizeModes: Bool      // chmod -R a=rX
    let defaultTime: Int64

    /// Paths (relative to the agent root) that exist and are selected, in output order.
    func entries(of union: UnionFilesystem) -> [Entry] {
        var entries: [BytePath: Entry] = [:]
        for (key, node) in union.nodes where isSelected(key.string) {
            let output = outputPath(key.string)
            entries[BytePath(output)] = Entry(path: output, tar: tarEntry(output, node), node: node)
        }
        // Parents that the selection implies but the agent does not list, and the install dir's own
        // parents (an image without /opt still gets one): root-owned 0755, the usual mode of /opt
        // and /var/lib, so an application's existing directory keeps its usual permissions.
        for output in Array(entries.keys) {
            for ancestor in AgentPath.ancestors(output.string) where entries[BytePath(ancestor)] == nil {
                let mode: UInt32 = AgentPath.isWithin(ancestor, installDirectory) && normalizeModes ? 0o555 : 0o755
                entries[BytePath(ancestor)] = Entry(path: ancestor, tar: TarEntry(path: ancestor + "/", kind: .directory, mode: mode,
                                                                        modificationTime: defaultTime), node: nil)
            }
        }
        // Byte order: stable, and the same whatever Unicode normalisation the names use.
        var ordered = entries.values.sorted { BytePath($0.path) < BytePath($1.path) }
        // A tar hard link must follow the file it names: the first path of each group carries
        // the data, the others link to it.
        var firstPathBySpool: [Int: String] = [:]
        for i in ordered.indices {
            guard let id = ordered[i].node?.spoolID, ordered[i].tar.kind == .regular else { continue }
            if let first = firstPathBySpool[id] {
                ordered[i].tar.kind = .hardlink
                ordered[i].tar.linkTarget = first
                ordered[i].tar.size = 0
            } else {
                firstPathBySpool[id] = ordered[i].path
            }
        }
        return ordered
    }

    func isSelected(_ path: String) -> Bool {
        guard AgentPath.isWithin(path, agentRoot), path != agentRoot || agentRoot.isEmpty else { return false }
        guard let includes else { return true }
        let relative = AgentPath.relative(path, to: agentRoot)
        return includes.contains { AgentPath.isWithin(relative, $0) }
    }

    func outputPath(_ agentPath: String) -> String {
        AgentPath.join(installDirectory, AgentPath.relative(agentPath, to: agentRoot))
    }

    /// Absolute link targets are re-rooted under the install directory: `/lib64/x -> /lib/y` in the
    /// agent must not resolve into the application's own /lib.
    func rerootedLinkTarget(_ target: String) -> String {
        guard target.bytesHavePrefix("/") else { return target }
        let normalized = target.pathComponents().filter { $0 != "." }.joined(separator: "/")
        let relocated = AgentPath.isWithin(normalized, agentRoot)
            ? outputPath(normalized)
            : AgentPath.join(installDirectory, normalized)
        return "/" + relocated
    }

    private func tarEntry(_ output: String, _ node: UnionFilesystem.Node) -> TarEntry {
        switch node.kind {
        case .directory:
            return TarEntry(path: output + "/", kind: .directory, mode: mode(node.mode, executable: true),
                            modificationTime: node.modificationTime)
        case .regular:
            return TarEntry(path: output, kind: .regular, size: node.size,
                            mode: mode(node.mode, executable: node.mode & 0o111 != 0),
                            modificationTime: node.modificationTime)
        case .symlink:
            return TarEntry(path: output, kind: .symlink, mode: 0o777, modificationTime: node.modificationTime,
                            linkTarget: rerootedLinkTarget(node.symlinkTarget ?? ""))
        }
    }

    private func mode(_ original: UInt32, executable: Bool) -> UInt32 {
        guard normalizeModes else { return original & 0o7777 }
        return executable ? 0o555 : 0o444
    }
}
