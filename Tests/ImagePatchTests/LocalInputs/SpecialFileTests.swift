import Foundation
import Testing

/// A FIFO, device or socket where a blob, an index.json or an archive should be is refused before
/// it is opened for reading (opening a FIFO would block for ever), naming the file and its kind.
@Suite("Local inputs: special files")
struct SpecialFileTests {
    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case fifoBlob, fifoIndexJSON, fifoOCIArchive, fifoDockerArchiveAgent, deviceArchive, socketBlob
        var testDescription: String { rawValue }
    }

    @Test("refused before it is opened, with one error line", arguments: Case.allCases)
    func refused(_ kind: Case) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("special-file") { tmp in
            var source = fixtures.oci("app-oci", "single")
            var agent = fixtures.oci("agent-oci", "7")
            var fifos: [String] = []
            let mentions: [String]
            switch kind {
            case .fifoBlob, .socketBlob:
                let layout = try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))
                let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.last)
                let blob = LayoutFiles(directory: layout).blobPath(layer.digest)
                if kind == .fifoBlob {
                    try HostileFile.fifo(at: blob)
                    fifos.append(blob)
                } else {
                    try HostileFile.socket(at: blob)
                }
                source = "oci:\(layout):single"
                mentions = [layer.digest, kind == .fifoBlob ? "FIFO" : "socket"]
            case .fifoIndexJSON:
                let layout = try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))
                try HostileFile.fifo(at: layout + "/index.json")
                fifos.append(layout + "/index.json")
                source = "oci:\(layout):single"
                mentions = [layout + "/index.json", "FIFO"]
            case .fifoOCIArchive:
                let archive = tmp.appending("app.tar")
                try HostileFile.fifo(at: archive)
                fifos.append(archive)
                source = "oci-archive:\(archive):single"
                mentions = [archive, "FIFO"]
            case .fifoDockerArchiveAgent:
                let archive = tmp.appending("agent.tar.bz2")
                try HostileFile.fifo(at: archive)
                fifos.append(archive)
                agent = "docker-archive:\(archive)"
                mentions = [archive, "FIFO"]
            case .deviceArchive:
                source = "docker-archive:/dev/zero"
                mentions = ["/dev/zero", "character device"]
            }
            let target = tmp.appending("out")
            let run = try await HostileFile.unblockingFIFOs(fifos) {
                try await ImagePatchCLI.patch(source: source, agent: agent, target: "oci:\(target):p")
            }
            Expect.oneLineError(run, mentions: mentions)
            Expect.nothingWritten(at: target)
        }
    }

    /// A blob that is a symbolic link to a file outside the layout is never read: the error names
    /// the blob, not the outside file's hash or size.
    @Test("a blob linking out of the layout is refused without reading it")
    func symlinkOutOfLayout() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("symlink-blob") { tmp in
            let secret = tmp.appending("secret")
            let secretBytes = Data("root:$6$not-a-real-hash:19000:0:99999:7:::\n".utf8)
            try secretBytes.write(to: URL(fileURLWithPath: secret))
            let layout = try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))
            let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.last)
            let blob = LayoutFiles(directory: layout).blobPath(layer.digest)
            try FileManager.default.removeItem(atPath: blob)
            try FileManager.default.createSymbolicLink(atPath: blob, withDestinationPath: secret)

            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: "oci:\(layout):single", agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: [layer.digest, "out of the layout"])
            #expect(!run.stderrText.contains(sha256Digest(secretBytes)), "the outside file was hashed:\n\(run.stderrText)")
            #expect(!run.stderrText.contains(" \(secretBytes.count) "), "the outside file's size was shown:\n\(run.stderrText)")
            Expect.nothingWritten(at: target)
        }
    }

    /// A symbolic link that stays inside the layout (some tools deduplicate blobs that way) still works.
    @Test("a blob linking to a file inside the layout is read")
    func symlinkInsideLayout() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("symlink-inside") { tmp in
            let layout = try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))
            let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.last)
            let blob = LayoutFiles(directory: layout).blobPath(layer.digest)
            try FileManager.default.moveItem(atPath: blob, toPath: layout + "/moved-blob")
            try FileManager.default.createSymbolicLink(atPath: blob, withDestinationPath: "../../moved-blob")
            let target = tmp.appending("out")
            try await ImagePatchCLI.patchOrThrow(
                source: "oci:\(layout):single", agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p")
            #expect(try LayoutFiles(directory: target).blob(layer.digest).count == layer.size)
        }
    }
}
