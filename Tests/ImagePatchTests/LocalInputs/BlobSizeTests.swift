import Foundation
import Testing

/// A blob whose file is not the size its descriptor says is refused from the file's size alone,
/// before any of it is read: a 60 GiB sparse file is not read to find out that it is too long.
@Suite("Local inputs: blob sizes")
struct BlobSizeTests {
    static let sparseSize: Int64 = 60 << 30

    @Test("a 60 GiB sparse blob behind a small descriptor is refused at once, naming both sizes")
    func sparseBlob() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("sparse-blob") { tmp in
            let layout = try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))
            let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.first)
            try HostileFile.sparse(at: LayoutFiles(directory: layout).blobPath(layer.digest), size: Self.sparseSize)
            let target = tmp.appending("out")
            let run = try await CappedRun.patch(
                source: "oci:\(layout):single", agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p", tmpdir: tmp.appending("run-tmp", creating: true))
            // The actual size comes from the file, not from counting what was read.
            Expect.oneLineError(run, mentions: [layer.digest, "\(Self.sparseSize) bytes", "\(layer.size)"])
            Expect.nothingWritten(at: target)
        }
    }
}

extension TempDirectory {
    /// `appending(name)`, made as an empty directory.
    func appending(_ name: String, creating: Bool) throws -> String {
        let path = appending(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
