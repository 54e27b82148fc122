import Glibc
import GzipEncoding
import Hashing
import IOFoundation
import OCI
import Tar

/// A root directory as one gzip layer, written to a file: entries in sorted order, owned by root
/// unless `owners` names them, every mtime the same, so the same tree gives the same bytes. Its
/// diff_id and digest are computed as it is written.
struct RootfsLayer {
    let file: String
    let diffID: Digest
    let digest: Digest
    let size: Int64

    /// `owners` maps paths relative to `root` (`home/nonroot`) to a uid and gid.
    static func write(root: String, to file: String, owners: [String: (uid: Int64, gid: Int64)], modificationTime: Int64) throws
        -> RootfsLayer
    {
        let output = try AtomicFileWriter(path: file)
        let uncompressed = DigestHasher()
        let compressed = DigestHasher()
        let counter = ByteCounter()
        let encoder = GzipEncoder()
        let sink: GzipEncoder.Sink = { chunk in
            compressed.update(chunk)
            counter.count += Int64(chunk.count)
            try output.write(chunk)
        }
        do {
            let tar = try TarWriter { chunk in
                uncompressed.update(chunk)
                try encoder.write(chunk, to: sink)
            }
            let walker = Walker(tar: tar, owners: owners, modificationTime: modificationTime)
            try walker.add(directory: root, relative: nil)
            try tar.finish()
            try encoder.finish(to: sink)
            try output.commit()
        } catch {
            output.abandon()
            throw error
        }
        return RootfsLayer(
            file: file, diffID: Digest(hex: uncompressed.finalizeHex()), digest: Digest(hex: compressed.finalizeHex()),
            size: counter.count)
    }

    private final class ByteCounter {
        var count: Int64 = 0
    }

    private struct Walker {
        let tar: TarWriter
        let owners: [String: (uid: Int64, gid: Int64)]
        let modificationTime: Int64

        func add(directory: String, relative: String?) throws {
            for name in try FileSystem.listDirectory(directory) {
                let path = "\(directory)/\(name)"
                let entryName = relative.map { "\($0)/\(name)" } ?? name
                var info = stat()
                guard lstat(path, &info) == 0 else { throw IOError.failed("cannot stat \(path): \(String(cString: strerror(errno)))") }
                let owner = owners[entryName] ?? (uid: 0, gid: 0)
                let mode = UInt32(info.st_mode & 0o7777)
                func entry(_ kind: TarEntry.Kind, _ name: String, size: Int64 = 0, link: String? = nil) -> TarEntry {
                    TarEntry(
                        path: name, kind: kind, size: size, mode: mode, uid: owner.uid, gid: owner.gid,
                        modificationTime: modificationTime, linkTarget: link)
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    try tar.writeHeader(entry(.directory, entryName + "/"))
                    try add(directory: path, relative: entryName)
                case S_IFREG:
                    let file = try FileReader(path: path, followSymlinks: false)
                    try tar.writeHeader(entry(.regular, entryName, size: file.size))
                    try file.forEachChunk { try tar.writeData($0) }
                case S_IFLNK:
                    try tar.writeHeader(entry(.symlink, entryName, link: try Self.linkTarget(path)))
                default:
                    throw IOError.failed("\(path) is not a directory, regular file or symbolic link")
                }
            }
        }

        private static func linkTarget(_ path: String) throws -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(path, &buffer, buffer.count - 1)
            guard length >= 0 else { throw IOError.failed("cannot read the link \(path): \(String(cString: strerror(errno)))") }
            return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
