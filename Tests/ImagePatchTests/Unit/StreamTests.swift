import Foundation
import GzipDecoding
import GzipEncoding
import IOFoundation
import OCI
import Testing

@Suite("Streams: verification and gzip")
struct StreamTests {
    let payload: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    @Test func verifiedStreamPassesMatchingContent() throws {
        let reader = VerifyingReader(MemoryReader(payload), digest: .sha256(of: payload), size: Int64(payload.count), what: "blob")
        #expect(try reader.readAll(limit: 1 << 20, what: "blob") == payload)
    }

    @Test func wrongDigestFailsAtTheEnd() throws {
        var altered = payload
        altered[1000] ^= 1
        let reader = VerifyingReader(MemoryReader(altered), digest: .sha256(of: payload), size: Int64(payload.count), what: "blob")
        #expect(throws: OCIError.self) { try reader.drain() }
    }

    @Test("a stream longer or shorter than its descriptor fails", arguments: [-1, 1])
    func wrongSize(delta: Int) throws {
        let reader = VerifyingReader(
            MemoryReader(payload), digest: .sha256(of: payload),
            size: Int64(payload.count + delta), what: "blob")
        #expect(
            throws: OCIError.sizeMismatch(
                what: "blob", expected: Int64(payload.count + delta),
                actual: Int64(delta < 0 ? payload.count : payload.count))
        ) {
            try reader.drain()
        }
    }

    @Test func isalOutputIsOrdinaryGzip() throws {
        // Oracle: the system's gzip, not our own decoder.
        var compressed: [UInt8] = []
        let encoder = GzipEncoder()
        try payload.withUnsafeBytes { try encoder.write($0) { compressed.append(contentsOf: $0) } }
        try encoder.finish { compressed.append(contentsOf: $0) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("imagepatch-\(UUID()).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(compressed).write(to: file)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", file.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        #expect(Array(output) == payload)
        #expect(compressed.count < payload.count)
    }

    @Test func zlibDecodesConcatenatedMembers() throws {
        var compressed: [UInt8] = []
        for part in [payload[0..<1000], payload[1000...]] {
            let encoder = GzipEncoder()
            try Array(part).withUnsafeBytes { try encoder.write($0) { compressed.append(contentsOf: $0) } }
            try encoder.finish { compressed.append(contentsOf: $0) }
        }
        let source = MemoryReader(compressed)
        let decoder = try GzipDecoder(reading: source)
        #expect(try PlaceNamingReader(decoder, place: "x").readAll(limit: 1 << 20, what: "x") == payload)
    }

    @Test func truncatedGzipIsAnError() throws {
        var compressed: [UInt8] = []
        let encoder = GzipEncoder()
        try payload.withUnsafeBytes { try encoder.write($0) { compressed.append(contentsOf: $0) } }
        try encoder.finish { compressed.append(contentsOf: $0) }
        let source = MemoryReader(Array(compressed.dropLast(20)))
        let decoder = try GzipDecoder(reading: source)
        let place = "layer 2 (sha256:0123…) of oci:app:1"
        #expect(throws: OCIError.malformed(place, "the gzip stream is truncated")) {
            try PlaceNamingReader(decoder, place: place).drain()
        }
    }

    @Test func fileReaderRefusesSpecialFilesBeforeOpeningThem() async throws {
        try await TempDirectory.with("file-reader") { tmp in
            let fifo = tmp.appending("fifo")
            try HostileFile.fifo(at: fifo)
            try await HostileFile.unblockingFIFOs([fifo]) {
                #expect(throws: IOError.notRegularFile("blob (\(fifo))", kind: "a FIFO (named pipe)")) {
                    _ = try FileReader(path: fifo, what: "blob")
                }
            }
            #expect(throws: IOError.notRegularFile("/dev/null", kind: "a character device")) { _ = try FileReader(path: "/dev/null") }
        }
    }

    @Test func fileOfTheWrongSizeIsRefusedBeforeReading() async throws {
        try await TempDirectory.with("file-size") { tmp in
            let path = tmp.appending("sparse")
            try HostileFile.sparse(at: path, size: 60 << 30)
            let descriptor = Descriptor(mediaType: "application/octet-stream", digest: .sha256(of: payload), size: Int64(payload.count))
            #expect(throws: OCIError.sizeMismatch(what: "blob", expected: Int64(payload.count), actual: 60 << 30)) {
                _ = try VerifyingReader(file: try FileReader(path: path), descriptor: descriptor, what: "blob")
            }
        }
    }
}
