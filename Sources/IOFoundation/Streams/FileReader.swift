import Glibc

/// Reads a regular file through a POSIX descriptor (no Foundation buffering, no whole-file loads).
///
/// Every path it is given comes from untrusted input (a layout, an archive, a manifest), so anything
/// but a regular file is refused before it is opened for reading: opening a FIFO blocks until a
/// writer comes, a device never ends, a directory cannot be read. The file is then opened
/// non-blocking and checked again, so a path swapped for a FIFO after the first check cannot make
/// the open hang either. Standard input, which may well be a pipe, is read by `StandardInput`.
public final class FileReader: ByteReader {
    private let descriptor: Int32
    public let path: String
    /// The size when it was opened, so callers can check it against a descriptor before reading.
    public let size: Int64

    /// - Parameters:
    ///   - what: names the file in errors (`blob sha256:… in oci:app`); the path is named too.
    ///   - followSymlinks: false refuses a symbolic link as the last component of `path`.
    ///   - regularOnly: false for a file the user named for their own settings (an auth file may
    ///     well be `<(…)`, a pipe); callers then bound what they read.
    public init(path: String, what: String? = nil, followSymlinks: Bool = true, regularOnly: Bool = true) throws {
        let subject = what.map { "\($0) (\(path))" } ?? path
        var info = stat()
        guard (followSymlinks ? stat(path, &info) : lstat(path, &info)) == 0 else {
            throw IOError.failed("cannot open \(subject): \(systemError())")
        }
        if regularOnly { try Self.requireRegular(info, subject) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0) | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw IOError.failed("cannot open \(subject): \(systemError())") }
        do {
            guard fstat(fd, &info) == 0 else { throw IOError.failed("cannot open \(subject): \(systemError())") }
            if regularOnly { try Self.requireRegular(info, subject) }
        } catch {
            close(fd)
            throw error
        }
        if regularOnly { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        descriptor = fd
        self.path = path
        size = Int64(info.st_size)
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw IOError.failed("cannot read \(path): \(systemError())")
        }
    }

    private static func requireRegular(_ info: stat, _ subject: String) throws {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        case S_IFDIR: kind = "a directory"
        case S_IFLNK: kind = "a symbolic link"
        default: kind = "a special file"
        }
        throw IOError.notRegularFile(subject, kind: kind)
    }
}
