import Foundation
import Testing

/// Unpacking an `oci-archive:` or `docker-archive:` is bounded (`Limits.archiveUnpackedBytes`,
/// 4 GiB by default): an entry declaring more than is left is refused before any of its data is
/// written, and what was written is removed. Each run is capped (`CappedRun`), so a regression is
/// killed at 256 MiB instead of filling the disk.
@Suite("Local inputs: archive unpacking budget")
struct ArchiveBudgetTests {
    static let defaultLimit = "4294967296"

    enum Bomb: String, CaseIterable, CustomTestStringConvertible {
        case gzipDockerArchive, zstdOCIArchive
        var testDescription: String { rawValue }
    }

    /// 6 GiB of zeros in one entry, a few MiB on disk.
    @Test("a decompression bomb stops before its data is written", arguments: Bomb.allCases)
    func bomb(_ bomb: Bomb) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("archive-bomb") { tmp in
            let entry = "blobs/sha256/" + String(repeating: "0", count: 64)
            let archive: String
            let source: String
            switch bomb {
            case .gzipDockerArchive:
                archive = tmp.appending("bomb.tar.gz")
                try await HostileArchive.bomb(at: archive, compressor: "gzip", name: entry, chunks: 96)
                source = "docker-archive:\(archive)"
            case .zstdOCIArchive:
                archive = tmp.appending("bomb.tar.zst")
                try await HostileArchive.bomb(at: archive, compressor: "zstd", name: entry, chunks: 96)
                source = "oci-archive:\(archive):1"
            }
            let runTemporary = try tmp.appending("run-tmp", creating: true)
            let target = tmp.appending("out")
            let run = try await CappedRun.patch(
                source: source, agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p", tmpdir: runTemporary)
            Expect.oneLineError(run, mentions: [archive, entry, Self.defaultLimit, "--max-archive-size"])
            Expect.nothingWritten(at: target)
            CappedRun.expectEmpty(runTemporary)
        }
    }

    @Test("a sparse entry counts by its logical size (60 GiB), not its size in the tar")
    func sparseEntry() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("archive-sparse") { tmp in
            let archive = tmp.appending("sparse.tar")
            try await HostileArchive.sparseEntry(at: archive, name: "huge", size: 60 << 30, in: tmp.path)
            let runTemporary = try tmp.appending("run-tmp", creating: true)
            let target = tmp.appending("out")
            let run = try await CappedRun.patch(
                source: fixtures.oci("app-oci", "single"), agent: "docker-archive:\(archive)",
                target: "oci:\(target):p", tmpdir: runTemporary)
            Expect.oneLineError(run, mentions: [archive, "huge", "\(Int64(60) << 30) bytes", Self.defaultLimit, "--max-archive-size"])
            Expect.nothingWritten(at: target)
            CappedRun.expectEmpty(runTemporary)
        }
    }

    /// Entries that each fit but together pass the budget: the one that passes it is refused before
    /// its data is written. `--max-archive-size` lowers the budget, so the archive stays small.
    @Test("the budget counts the sum of the entries, and --max-archive-size sets it")
    func sumOfEntries() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("archive-sum") { tmp in
            let members = try tmp.appending("members", creating: true)
            for name in ["a", "b", "c"] {
                let bytes = Data((0..<(400 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
                try bytes.write(to: URL(fileURLWithPath: "\(members)/\(name)"))
            }
            let archive = tmp.appending("three.tar")
            try await ProcessRunner.check("tar", ["-cf", archive, "-C", members, "a", "b", "c"])
            let runTemporary = try tmp.appending("run-tmp", creating: true)
            let target = tmp.appending("out")
            let run = try await CappedRun.imagepatch(
                [
                    "patch", "--source", fixtures.oci("app-oci", "single"), "--agent", "docker-archive:\(archive)",
                    "--target", "oci:\(target):p", "--cid", ImagePatchCLI.cid, "--max-archive-size", "1M",
                ], tmpdir: runTemporary)
            Expect.oneLineError(run, mentions: [archive, #"entry "c""#, "1048576-byte limit", "--max-archive-size"])
            Expect.nothingWritten(at: target)
            CappedRun.expectEmpty(runTemporary)
        }
    }
}
