import Foundation
import Testing

/// A blob already in a target layout is reused only when its size and digest check out; a bad one
/// (altered, truncated, sparse, a FIFO, a link out of the layout) is replaced, so the new tag never
/// points at a corrupt blob.
@Suite("Local inputs: blobs already in a target layout")
struct TargetLayoutBlobTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case flippedByte, truncated, sparse, fifo, symlinkOut
        var testDescription: String { rawValue }
    }

    @Test("a damaged blob in the target is replaced, not reused", arguments: Damage.allCases)
    func damagedBlobReplaced(_ damage: Damage) async throws {
        let fixtures = try await Fixtures.ready()
        let agent = fixtures.oci("agent-oci", "7")
        try await TempDirectory.with("target-blob") { tmp in
            // A private copy: the target hard-links the source's blobs, which must never be the shared fixtures'.
            let source = "oci:" + (try BadInput.copyLayout(fixtures.appOCI, to: tmp.appending("app"))) + ":single"
            let layout = tmp.appending("out")
            try await ImagePatchCLI.patchOrThrow(source: source, agent: agent, target: "oci:\(layout):first")
            let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.first)
            let files = LayoutFiles(directory: layout)
            let blob = files.blobPath(layer.digest)
            // The first run hard-linked the source's blob: unlink before damaging, so the source stays whole.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
            try FileManager.default.removeItem(atPath: blob)
            var fifos: [String] = []
            switch damage {
            case .flippedByte:
                var altered = bytes
                altered[altered.count / 2] ^= 0xff
                try altered.write(to: URL(fileURLWithPath: blob))
            case .truncated:
                try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: blob))
            case .sparse:
                try HostileFile.sparse(at: blob, size: 60 << 30)
            case .fifo:
                try HostileFile.fifo(at: blob)
                fifos.append(blob)
            case .symlinkOut:
                let outside = tmp.appending("outside")
                try Data("not the layer".utf8).write(to: URL(fileURLWithPath: outside))
                try FileManager.default.createSymbolicLink(atPath: blob, withDestinationPath: outside)
            }

            try await HostileFile.unblockingFIFOs(fifos) {
                try await ImagePatchCLI.patchOrThrow(source: source, agent: agent, target: "oci:\(layout):second")
            }
            // The blob is a regular file again (checked first: reading a FIFO would block), and whole.
            var info = stat()
            try #require(lstat(blob, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG, "the blob is not a regular file")
            try #require(Int(info.st_size) == layer.size, "the blob has \(info.st_size) bytes, not \(layer.size)")
            #expect(try files.blob(layer.digest).count == layer.size)
            if damage == .symlinkOut {
                #expect(try String(contentsOfFile: tmp.appending("outside"), encoding: .utf8) == "not the layer")
            }
            try await Oracles.skopeoCopyAll("oci:\(layout):second")
        }
    }
}
