import Glibc
import IOFoundation

/// Opens the files of an OCI layout (`oci-layout`, `index.json`, blobs). The layout is untrusted:
/// a file in it may be a symbolic link (some tools deduplicate blobs that way), but only to a
/// regular file inside the layout. One that leads elsewhere (`blobs/sha256/… -> /etc/shadow`) is
/// refused before it is opened, so nothing outside the layout is ever read, hashed or sized.
enum LayoutFile {
    /// Opens `path`, a file of the layout at `directory`; `what` names it in errors.
    static func open(_ path: String, layout directory: String, what: String) throws -> FileReader {
        try FileReader(path: try resolveInside(path, layout: directory, what: what), what: what, followSymlinks: false)
    }

    /// A blob of the layout, refused at once when its size on disk is not the descriptor's.
    static func openBlob(_ descriptor: Descriptor, layout directory: String, what: String) throws -> VerifyingReader {
        let file = try open(OCILayoutIndex.blobPath(directory, descriptor.digest), layout: directory, what: what)
        return try VerifyingReader(file: file, descriptor: descriptor, what: what)
    }

    /// `path` with every symbolic link resolved, as long as it stays inside `directory`.
    static func resolveInside(_ path: String, layout directory: String, what: String) throws -> String {
        guard let root = realPath(directory) else { throw OCIError.io("cannot resolve \(directory): \(systemError())") }
        guard let resolved = realPath(path) else {
            if errno == ENOENT { throw OCIError.notFound("\(what) (\(path))") }
            throw OCIError.io("cannot resolve \(path) (\(what)): \(systemError())")
        }
        guard resolved.bytesHavePrefix(root == "/" ? "/" : root + "/") else {
            throw OCIError.leavesLayout(what: what, path: path)
        }
        return resolved
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
