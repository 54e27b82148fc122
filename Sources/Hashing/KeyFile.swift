import Glibc

/// Reads a small secret file (a signing key, a passphrase file) whole, refusing what cannot be one:
/// a directory, a device or FIFO (which could block forever or never end), or a file beyond `limit`.
public enum KeyFile {
    /// Key files are a few hundred bytes; 64 KiB leaves room for a certificate chain beside the key.
    public static let defaultLimit = 64 << 10

    public static func read(path: String, limit: Int = defaultLimit) throws(SigningKeyError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .notRegularFile(path: path, kind: "a directory")
        case S_IFIFO: throw .notRegularFile(path: path, kind: "a FIFO")
        case S_IFCHR, S_IFBLK: throw .notRegularFile(path: path, kind: "a device")
        case S_IFSOCK: throw .notRegularFile(path: path, kind: "a socket")
        default: throw .notRegularFile(path: path, kind: "a special file")
        }
        guard status.st_size <= limit else { throw .tooLarge(path: path, limit: limit) }
        // Read to the end rather than trusting st_size, and stop one byte past the limit, so a file
        // that grows while it is read is still bounded.
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= limit else { throw .tooLarge(path: path, limit: limit) }
        }
        return bytes
    }
}
