import Glibc
import Tar

/// Unpacks a (possibly compressed) tar file of a layout or a `docker save` into a private
/// directory. The archive is untrusted: names must stay inside the directory, and only regular
/// files and directories are ever created. Links in the archive (old `docker save` shares a layer
/// between images with a symlink) are resolved by name inside the archive and become hard links
/// to the file they reach, so nothing on disk can point anywhere else.
enum ArchiveExtractor {
    static let maxEntries = 200_000
    static let maxLinkDepth = 16

    static func extract(file: String, into root: String, reference: String) throws {
        guard FileSystem.exists(file) else { throw OCIError.notFound("archive \(file) (in \(reference))") }
        let input = try FileReader(path: file)
        let reader = try TarReader(decompressing: true) { try input.read(into: $0) }
        var links: [BytePath: BytePath] = [:]   // member → the member it names (both normalised)
        var files: Set<BytePath> = []
        var entries = 0
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while let entry = try reader.nextEntry() {
                entries += 1
                guard entries <= maxEntries else {
                    throw OCIError.malformed(reference, "it has more than \(maxEntries) entries")
                }
                guard let relative = try ArchivePath.normalize(entry.path, what: reference) else { continue }
                let path = "\(root)/\(relative)"
                switch entry.kind {
                case .directory:
                    try FileSystem.makeDirectories(path)
                case .regular:
                    try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
                    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                    guard fd >= 0 else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "cannot create it (\(systemError())); is it listed twice?")
                    }
                    defer { close(fd) }
                    while true {
                        let n = try reader.readData(into: buffer)
                        if n == 0 { break }
                        total += Int64(n)
                        guard total <= Limits.archiveBytes else {
                            throw OCIError.tooLarge(what: "the unpacked content of \(reference)", limit: Limits.archiveBytes)
                        }
                        guard write(fd, buffer.baseAddress, n) == n else {
                            throw OCIError.io("cannot write \(path) while unpacking \(reference): \(systemError())")
                        }
                    }
                    files.insert(BytePath(relative))
                case .symlink:
                    let target = entry.linkTarget ?? ""
                    let parent = relative.pathParent().isEmpty ? "" : relative.pathParent() + "/"
                    guard !target.bytesHavePrefix("/"), let resolved = try? ArchivePath.normalize(parent + target, what: reference) else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "its link target \(target.debugDescription) leaves the archive")
                    }
                    links[BytePath(relative)] = BytePath(resolved)
                case .hardlink:
                    guard let target = try ArchivePath.normalize(entry.linkTarget ?? "", what: reference) else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "it links to nothing")
                    }
                    links[BytePath(relative)] = BytePath(target)
                case .characterDevice, .blockDevice, .fifo, .socket:
                    throw OCIError.unsafePath(what: reference, path: entry.path, reason: "special files do not belong in an image archive")
                }
            }
        } catch let error as TarError {
            throw OCIError.malformed(reference, "\(error)")
        }
        for (alias, target) in links {
            // Follow links by name only; a link that does not end at a file in the archive is dropped.
            var current = target
            var depth = 0
            while !files.contains(current), let next = links[current], depth < maxLinkDepth {
                current = next
                depth += 1
            }
            guard files.contains(current), !FileSystem.exists("\(root)/\(alias)") else { continue }
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: "\(root)/\(alias)"))
            guard Glibc.link("\(root)/\(current.string)", "\(root)/\(alias.string)") == 0 else {
                throw OCIError.malformed(reference, "cannot link \(alias) to \(current): \(systemError())")
            }
        }
    }
}

/// Lexical normalisation of archive member names.
public enum ArchivePath {
    public enum Problem: Error, Equatable {
        case absolute, climbsOut, climbs
    }

    /// The name without `./` and empty components, or nil for the archive root itself.
    /// Absolute names are refused; `..` is refused outright unless `allowInnerParent`, which
    /// accepts it as long as it stays inside (`a/../b`), as `docker save` link targets need.
    public static func components(_ name: String, allowInnerParent: Bool) -> Result<String?, Problem> {
        if name.bytesHavePrefix("/") { return .failure(.absolute) }
        var parts: [String] = []
        for component in name.pathComponents() {
            switch component {
            case ".": continue
            case "..":
                guard allowInnerParent else { return .failure(.climbs) }
                guard !parts.isEmpty else { return .failure(.climbsOut) }
                parts.removeLast()
            default: parts.append(component)
            }
        }
        return .success(parts.isEmpty ? nil : parts.joined(separator: "/"))
    }

    static func normalize(_ name: String, what: String) throws -> String? {
        switch components(name, allowInnerParent: true) {
        case .success(let path): return path
        case .failure(.absolute): throw OCIError.unsafePath(what: what, path: name, reason: "absolute names are not allowed")
        case .failure: throw OCIError.unsafePath(what: what, path: name, reason: "it climbs out of the archive with ..")
        }
    }
}
