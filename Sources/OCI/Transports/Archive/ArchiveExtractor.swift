import Glibc
import Tar

/// Unpacks a (possibly compressed) tar file of a layout or a `docker save` into a private
/// directory. The archive is untrusted: names must stay inside the directory, only files,
/// directories and in-archive links are accepted, and links are made after every file so no
/// write ever passes through one.
enum ArchiveExtractor {
    static func extract(file: String, into root: String, reference: String) throws {
        guard FileSystem.exists(file) else { throw OCIError.notFound("archive \(file) (in \(reference))") }
        let input = try FileReader(path: file)
        let reader = try TarReader(decompressing: true) { try input.read(into: $0) }
        var symlinks: [(path: String, target: String)] = []
        var hardlinks: [(path: String, target: String)] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while let entry = try reader.nextEntry() {
                guard let relative = try ArchivePath.normalize(entry.path, what: reference) else { continue }
                let path = "\(root)/\(relative)"
                switch entry.kind {
                case .directory:
                    try FileSystem.makeDirectories(path)
                case .regular:
                    try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
                    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    guard fd >= 0 else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "cannot create it (\(systemError())); is it listed twice?")
                    }
                    defer { close(fd) }
                    while true {
                        let n = try reader.readData(into: buffer)
                        if n == 0 { break }
                        guard write(fd, buffer.baseAddress, n) == n else {
                            throw OCIError.io("cannot write \(path) while unpacking \(reference): \(systemError())")
                        }
                    }
                case .symlink:
                    let target = entry.linkTarget ?? ""
                    guard !target.hasPrefix("/"),
                          try ArchivePath.normalize(FileSystem.parentDirectory(of: relative) + "/" + target, what: reference) != nil else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "its link target \(target.debugDescription) leaves the archive")
                    }
                    symlinks.append((path, target))
                case .hardlink:
                    guard let target = try ArchivePath.normalize(entry.linkTarget ?? "", what: reference) else {
                        throw OCIError.unsafePath(what: reference, path: entry.path, reason: "it links to nothing")
                    }
                    hardlinks.append((path, "\(root)/\(target)"))
                case .characterDevice, .blockDevice, .fifo, .socket:
                    throw OCIError.unsafePath(what: reference, path: entry.path, reason: "special files do not belong in an image archive")
                }
            }
        } catch let error as TarError {
            throw OCIError.malformed(reference, "\(error)")
        }
        for link in hardlinks {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: link.path))
            guard Glibc.link(link.target, link.path) == 0 else {
                throw OCIError.malformed(reference, "hard link \(link.path) to \(link.target): \(systemError())")
            }
        }
        for link in symlinks {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: link.path))
            guard Glibc.symlink(link.target, link.path) == 0 else {
                throw OCIError.malformed(reference, "symbolic link \(link.path): \(systemError())")
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
        if name.hasPrefix("/") { return .failure(.absolute) }
        var parts: [Substring] = []
        for component in name.split(separator: "/", omittingEmptySubsequences: true) {
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
