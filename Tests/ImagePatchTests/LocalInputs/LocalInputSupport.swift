import Foundation
import Glibc
import Testing

/// Hostile local files, made at test time and small on disk.
enum HostileFile {
    /// Replaces whatever is at `path` with a FIFO.
    static func fifo(at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard mkfifo(path, 0o644) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Replaces whatever is at `path` with a listening Unix socket. Socket addresses are short
    /// (108 bytes), so it is bound in a short directory and renamed into place.
    static func socket(at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let short = try TempDirectory.make(in: "/tmp", prefix: "ip-sock-")
        defer { try? FileManager.default.removeItem(atPath: short) }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bound = "\(short)/s"
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bound.utf8.enumerated() { raw[i] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0, rename(bound, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Replaces whatever is at `path` with a sparse file of `size` bytes (a few blocks on disk).
    static func sparse(at path: String, size: Int64) throws {
        try? FileManager.default.removeItem(atPath: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Keeps a test from hanging should imagepatch ever open one of `fifos` for reading again:
    /// while `body` runs, each FIFO is opened for writing without blocking; once a reader has it
    /// open, a byte is written and the FIFO closed, so that reader fails instead of waiting for ever
    /// (and the test fails on the error it gets). A path that is no longer a FIFO (imagepatch may
    /// replace one in a target layout, with a hard link to a fixture) is never written to.
    static func unblockingFIFOs<T: Sendable>(_ fifos: [String], _ body: () async throws -> T) async throws -> T {
        let unblocker = Task.detached {
            while !Task.isCancelled {
                for fifo in fifos {
                    let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
                    guard fd >= 0 else { continue }
                    var info = stat()
                    if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO { _ = write(fd, "x", 1) }
                    close(fd)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { unblocker.cancel() }
        return try await body()
    }
}

/// Tar archives with entries that declare far more than they hold on disk.
enum HostileArchive {
    /// A ustar header block for a regular file `name` of `size` bytes (less than 8 GiB).
    static func header(name: String, size: Int64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - digits.count) + digits
        }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(octal(size, width: 11), at: 124)
        put(octal(0, width: 11), at: 136)
        put("        ", at: 148)
        put("0", at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = block.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 6), at: 148)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// A decompression bomb: one entry `name` declaring `chunks` × 64 MiB, followed by that many
    /// zeros, compressed with `compressor` (`gzip` or `zstd`) as concatenated members so that it is
    /// made in a second and is a few MiB on disk.
    static func bomb(at path: String, compressor: String, name: String, chunks: Int) async throws {
        let header = try await ProcessRunner.check(
            compressor, ["-c", "-q"], stdin: Data(Self.header(name: name, size: Int64(chunks) << 26))
        ).stdout
        let zeros = try await ProcessRunner.check("/bin/sh", ["-c", "head -c 67108864 /dev/zero | \(compressor) -c -q -9"]).stdout
        FileManager.default.createFile(atPath: path, contents: header)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.seekToEnd()
        for _ in 0..<chunks { try file.write(contentsOf: zeros) }
    }

    /// A tar holding one GNU sparse entry `name` of `size` logical bytes (a few KiB on disk).
    static func sparseEntry(at path: String, name: String, size: Int64, in scratch: String) async throws {
        let directory = scratch + "/sparse-source"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try HostileFile.sparse(at: directory + "/" + name, size: size)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await ProcessRunner.check("tar", ["--sparse", "-cf", path, "-C", directory, name])
    }
}

/// Runs the binary so that a regression cannot fill the disk: no file it writes may pass 256 MiB
/// (`ulimit -f`, in dash's 512-byte blocks; a larger write kills it with SIGXFSZ), and its
/// temporary files go to `tmpdir`, which the test checks and removes.
enum CappedRun {
    static func imagepatch(_ arguments: [String], tmpdir: String) async throws -> ProcessResult {
        let binary = try RepositoryPaths.binary()
        let cache = try TempDirectory(label: "cache")  // an empty agent-layer cache, as ImagePatchCLI gives
        defer { cache.remove() }
        return try await ProcessRunner.run(
            "/bin/sh", ["-c", #"ulimit -f 524288 && exec "$@""#, "sh", binary] + arguments,
            environment: ["TMPDIR": tmpdir, "SOURCE_DATE_EPOCH": nil, "XDG_CACHE_HOME": cache.path])
    }

    static func patch(source: String, agent: String, target: String, tmpdir: String) async throws -> ProcessResult {
        try await imagepatch(
            ["patch", "--source", source, "--agent", agent, "--target", target, "--cid", ImagePatchCLI.cid],
            tmpdir: tmpdir)
    }

    /// Nothing left in the run's TMPDIR (its staging directories were removed).
    static func expectEmpty(_ tmpdir: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmpdir)) ?? []
        #expect(left.isEmpty, "temporary files left in \(tmpdir): \(left)", sourceLocation: sourceLocation)
    }
}
