import Glibc
import IOFoundation
import Tar

/// Writes the files of a directory as an uncompressed tar, in sorted order, owned by root, with a
/// fixed mtime, so the same content always gives the same archive.
enum DirectoryArchiver {
    /// Packs `directory` into `file`, which appears only once it is complete.
    static func archive(directory: String, toFile file: String) throws {
        let writer = try AtomicFileWriter(path: file)
        do {
            let tar = try TarWriter { try writer.write($0) }
            try add(directory: directory, relative: nil, tar: tar)
            try tar.finish()
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    private static func add(directory: String, relative: String?, tar: TarWriter) throws {
        for name in try FileSystem.listDirectory(directory) {
            let path = "\(directory)/\(name)"
            let entryName = relative.map { "\($0)/\(name)" } ?? name
            if FileSystem.isDirectory(path) {
                try tar.writeHeader(TarEntry(path: entryName + "/", kind: .directory, mode: 0o755))
                try add(directory: path, relative: entryName, tar: tar)
            } else {
                let file = try FileReader(path: path)
                try tar.writeHeader(TarEntry(path: entryName, kind: .regular, size: file.size, mode: 0o644))
                try file.forEachChunk { try tar.writeData($0) }
            }
        }
    }
}
