import Foundation
import IOFoundation
import OCI
import Tar
import Testing

@testable import ImagePatch

/// The agent layer's tar has plain ustar headers, and pax records only where ustar cannot hold a
/// value; GNU tar lists it without a warning, every name as written.
@Suite("Agent layer tar headers")
struct TarHeaderTests {
    typealias Layers = UnionFilesystemTests

    /// 245 bytes: ustar prefix and name.
    static let longName = "usr/share/" + String(repeating: "long-directory-name/", count: 7) + String(repeating: "n", count: 95)
    static let veryLongName = "usr/share/" + String(repeating: "d/", count: 200) + "deep-file"  // pax path
    static let longTarget = String(repeating: "../", count: 2) + String(repeating: "t", count: 120)  // pax linkpath, kept relative

    /// The typeflags of every header in an uncompressed tar, in order.
    static func typeflags(_ tar: [UInt8]) -> [Character] {
        var flags: [Character] = []
        var offset = 0
        while offset + 512 <= tar.count, tar[offset..<(offset + 512)].contains(where: { $0 != 0 }) {
            flags.append(Character(UnicodeScalar(tar[offset + 156])))
            let sizeField = String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self)
            let size = Int(sizeField, radix: 8) ?? 0
            offset += 512 + (size + 511) / 512 * 512
        }
        return flags
    }

    @Test func paxRecordsOnlyWhereUstarCannotHoldTheName() throws {
        let short = try Layers.tarBytes([
            Layers.dir("usr/"), Layers.file("usr/caf\u{00E9}", "1"), Layers.file(Self.longName, "2"),
            Layers.link("usr/l", "caf\u{00E9}"),
        ])
        #expect(Self.typeflags(short) == ["5", "0", "0", "2"], "names up to 256 bytes fit ustar's prefix and name")
        #expect(!String(decoding: short, as: UTF8.self).contains("hdrcharset"))

        let long = try Layers.tarBytes([Layers.file(Self.veryLongName, "3"), Layers.link("usr/long-link", Self.longTarget)])
        #expect(Self.typeflags(long) == ["x", "0", "x", "2"])
        #expect(!String(decoding: long, as: UTF8.self).contains("hdrcharset"))
        let union = try UnionFilesystem()
        try union.apply(layer: 0, stream: MemoryReader(long), place: "layer 1")
        #expect(union.node(at: Self.veryLongName)?.kind == .regular)
        #expect(union.node(at: "usr/long-link")?.symlinkTarget == Array(Self.longTarget.utf8))
    }

    @Test func sizesIdsAndTimesOutOfUstarRangeGoToPax() throws {
        var out: [UInt8] = []
        let writer = try TarWriter { out.append(contentsOf: $0) }
        try writer.writeHeader(
            TarEntry(
                path: "big", kind: .regular, size: 9 << 30, mode: 0o644, uid: 1 << 22, gid: 3,
                modificationTime: -1))
        let records = String(decoding: out[512..<1024], as: UTF8.self)
        #expect(Self.typeflags(Array(out[0..<512])) == ["x"])
        #expect(records.contains(" size=\(9 << 30)\n") && records.contains(" uid=\(1 << 22)\n") && records.contains(" mtime=-1\n"))
        #expect(!records.contains("gid="))
        #expect(throws: TarError.self) { try writer.finish() }  // the 9 GiB of data never came
    }

    /// A built layer, listed by GNU tar in the C locale with names shown as their bytes.
    @Test func gnuTarListsABuiltLayerWithoutWarnings() async throws {
        let nfc = "usr/share/caf\u{00E9}"
        let nfd = "usr/share/cafe\u{0301}"
        var latin1 = TarEntry(path: "usr/share/latin1-link", kind: .symlink, mode: 0o777)
        latin1.linkTargetBytes = [0x63, 0x61, 0x66, 0xE9]
        let tar = try Layers.tarBytes([
            Layers.dir("usr/"), Layers.dir("usr/share/"), Layers.file(nfc, "composed"), Layers.file(nfd, "decomposed"),
            Layers.file(Self.veryLongName, "deep"), Layers.link("usr/share/long-link", Self.longTarget), (latin1, nil),
        ])
        let layer = try await AgentImageDouble(tars: [tar]).build(.testing())
        let listing = try await ProcessRunner.check(
            "tar", ["--quoting-style=literal", "-tvzf", layer.file],
            environment: ["LC_ALL": "C", "LANG": nil])
        #expect(listing.stderr.isEmpty, "GNU tar warned: \(listing.stderrText)")
        let lines = listing.stdout.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        func listed(_ suffix: [UInt8]) -> Bool { lines.contains { $0.count >= suffix.count && Array($0.suffix(suffix.count)) == suffix } }
        let install = "opt/CS/rootfs/"
        #expect(listed(Array(" \(install)\(nfc)".utf8)))
        #expect(listed(Array(" \(install)\(nfd)".utf8)))
        #expect(listed(Array(" \(install)\(Self.veryLongName)".utf8)))
        #expect(listed(Array(" \(install)usr/share/long-link -> \(Self.longTarget)".utf8)))
        #expect(listed(Array(" \(install)usr/share/latin1-link -> ".utf8) + [0x63, 0x61, 0x66, 0xE9]))
        #expect(!lines.contains { String(decoding: $0, as: UTF8.self).hasSuffix(" opt/") }, "no entry for the install directory's parents")
    }
}
