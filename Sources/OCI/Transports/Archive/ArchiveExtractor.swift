import Glibc
import IOFoundation
import Tar

/// Unpacks a (possibly compressed) tar file of a layout or a `docker save` into a private
/// directory. The archive is untrusted: names must stay inside the directory, and only regular
/// files and directories are ever created. Links in the archive (old `docker save` shares a layer
/// between images with a symlink) are resolved by name inside the archive and become hard links
/// to the file they reach, so nothing on disk can point anywhere else.
///
/// What it writes is bounded by `maxUnpackedBytes`: each entry's declared size (a sparse entry's
/// logical size) is checked against what is left before any of its data is read, and the bytes
/// actually produced are counted as they stream. A decompression bomb or a sparse 60 GiB entry
/// stops there, and a failed unpack removes everything it wrote.
enum ArchiveExtractor {
    static let maxEntries = 200_000
    static let maxLinkDepth = 16

    static func extract(file: String, into root: String, reference: String, maxUnpackedBytes: Int64) throws {
        guard FileSystem.exists(file) else { throw OCIError.notFound("archive \(file) (in \(reference))") }
        let input = try FileReader(path: file, what: "the archive of \(reference)")
        var unpacker = Unpacker(root: root, reference: reference, budget: maxUnpackedBytes)
        do {
            try unpacker.unpack(input)
            try unpacker.linkAliases()
        } catch {
            FileSystem.removeTree(root)
            throw error
        }
    }
}

/// One run of `ArchiveExtractor`: what was unpacked so far and what it may still write.
private struct Unpacker {
    let root: String
    let reference: String
    let budget: Int64
    var links: [BytePath: BytePath] = [:]  // member → the member it names (both normalised)
    var files: Set<BytePath> = []
    var entries = 0
    var total: Int64 = 0

    init(root: String, reference: String, budget: Int64) {
        self.root = root
        self.reference = reference
        self.budget = budget
    }

    mutating func unpack(_ input: FileReader) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var current: String?
        do {
            let reader = try TarReader(reading: input, decompressing: true)
            while let entry = try reader.nextEntry() {
                current = entry.path
                try unpack(entry, from: reader, buffer: buffer)
            }
        } catch let error as TarError {
            guard let current else {
                throw OCIError.malformed(reference, "\(input.path) is not a tar archive, plain or compressed (\(error))")
            }
            throw OCIError.malformed(reference, "\(error), at entry \(current.debugDescription)")
        }
    }

    private mutating func unpack(_ entry: TarEntry, from reader: TarReader, buffer: UnsafeMutableRawBufferPointer) throws {
        entries += 1
        guard entries <= ArchiveExtractor.maxEntries else {
            throw OCIError.malformed(reference, "it has more than \(ArchiveExtractor.maxEntries) entries")
        }
        // Checked for every kind: data that is skipped is still decompressed.
        try charge(max(entry.size, 0), entry: entry.path, size: entry.size)
        guard let relative = try ArchivePath.normalize(entry.path, what: reference) else { return }
        let path = "\(root)/\(relative)"
        switch entry.kind {
        case .directory:
            try FileSystem.makeDirectories(path)
        case .regular:
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
            try write(entry, to: path, from: reader, buffer: buffer)
            files.insert(BytePath(relative))
        case .symlink:
            let target = entry.linkTarget ?? ""
            let parent = relative.pathParent().isEmpty ? "" : relative.pathParent() + "/"
            guard !target.bytesHavePrefix("/"), let resolved = try? ArchivePath.normalize(parent + target, what: reference) else {
                throw OCIError.unsafePath(
                    what: reference, path: entry.path, reason: "its link target \(target.debugDescription) leaves the archive")
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

    private mutating func write(
        _ entry: TarEntry, to path: String, from reader: TarReader,
        buffer: UnsafeMutableRawBufferPointer
    ) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OCIError.unsafePath(what: reference, path: entry.path, reason: "cannot create it (\(systemError())); is it listed twice?")
        }
        defer { close(fd) }
        var written: Int64 = 0
        while true {
            let n = try reader.readData(into: buffer)
            if n == 0 { return }
            written += Int64(n)
            // The declared size was charged already; only bytes beyond it count again.
            if written > entry.size { try charge(Int64(n), entry: entry.path, size: written) }
            guard Glibc.write(fd, buffer.baseAddress, n) == n else {
                throw OCIError.io("cannot write \(path) while unpacking \(reference): \(systemError())")
            }
        }
    }

    /// Takes `bytes` from the budget, or fails naming the archive, the entry (of `size` bytes) and the limit.
    private mutating func charge(_ bytes: Int64, entry: String, size: Int64) throws {
        guard bytes <= budget - total else {
            throw OCIError.archiveTooLarge(what: "unpacking \(reference), entry \(entry.debugDescription) (\(size) bytes)", limit: budget)
        }
        total += bytes
    }

    func linkAliases() throws {
        for (alias, target) in links {
            // Follow links by name only; a link that does not end at a file in the archive is dropped.
            var current = target
            var depth = 0
            while !files.contains(current), let next = links[current], depth < ArchiveExtractor.maxLinkDepth {
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
