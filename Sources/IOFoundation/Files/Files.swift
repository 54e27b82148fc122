import Glibc

/// Writes a file under a temporary name next to its destination; only `commit()` renames it into
/// place, so an interrupted write never leaves a partial file under the final name.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private var descriptor: Int32
    private var done = false

    public init(path: String, mode: mode_t = 0o644) throws {
        self.path = path
        self.temporaryPath = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw IOError.failed("cannot create \(temporaryPath): \(systemError())") }
        InterruptCleanup.register(temporaryPath)
    }

    deinit {
        if !done { abandon() }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.failed("cannot write \(temporaryPath): \(systemError())")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    public func commit() throws {
        precondition(!done)
        done = true
        InterruptCleanup.unregister(temporaryPath)
        guard close(descriptor) == 0 else {
            unlink(temporaryPath)
            throw IOError.failed("cannot write \(temporaryPath): \(systemError())")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = systemError()
            unlink(temporaryPath)
            throw IOError.failed("cannot rename \(temporaryPath) to \(path): \(reason)")
        }
    }

    public func abandon() {
        guard !done else { return }
        done = true
        InterruptCleanup.unregister(temporaryPath)
        close(descriptor)
        unlink(temporaryPath)
    }
}

/// Small filesystem helpers shared by the local transports.
public enum FileSystem {
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Where a run's temporary files go: `$TMPDIR`, else `/tmp`. The one place that reads `TMPDIR`.
    public static var temporaryDirectory: String {
        getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw IOError.failed("cannot create directory \(current): \(systemError())")
            }
        }
    }

    /// A fresh private directory; `near` puts it beside a target so a final rename stays on one filesystem.
    public static func makeTemporaryDirectory(near path: String? = nil, prefix: String = "imagepatch") throws -> String {
        let parent: String
        if let path {
            parent = parentDirectory(of: path)
        } else {
            parent = temporaryDirectory
        }
        var template = Array("\(parent)/.\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw IOError.failed("cannot create a temporary directory in \(parent): \(systemError())")
        }
        return String(cString: result)
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Removes a tree without following symbolic links.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? listDirectory(path)) ?? [] { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw IOError.failed("cannot list \(path): \(systemError())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw IOError.failed("cannot rename \(from) to \(to): \(systemError())") }
    }

    /// Reads a file the user named for their own settings (an auth file), which may be a pipe
    /// (`--authfile <(…)`); image content is read with `FileReader`, which takes regular files only.
    public static func readFile(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        try FileReader(path: path, regularOnly: false).readAll(limit: limit, what: what)
    }

    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        try writer.commit()
    }
}
