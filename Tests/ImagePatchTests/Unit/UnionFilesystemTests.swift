import IOFoundation
import OCI
import Tar
import Testing

@testable import ImagePatch

/// Layers are written with libarchive (TarWriter) and applied in order, as an overlay would.
@Suite("Agent union filesystem")
struct UnionFilesystemTests {
    static func layer(_ entries: [(TarEntry, String?)]) throws -> ByteReader {
        MemoryReader(try tarBytes(entries))
    }

    /// A tar stream of `entries`; a regular file's size is its content's.
    static func tarBytes(_ entries: [(TarEntry, String?)]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = try TarWriter { bytes.append(contentsOf: $0) }
        for (entry, content) in entries {
            var entry = entry
            if let content { entry.size = Int64(content.utf8.count) }
            try writer.writeHeader(entry)
            if let content { try Array(content.utf8).withUnsafeBytes { try writer.writeData($0) } }
        }
        try writer.finish()
        return bytes
    }

    static func file(_ path: String, _ content: String, mode: UInt32 = 0o644) -> (TarEntry, String?) {
        (TarEntry(path: path, kind: .regular, mode: mode), content)
    }
    static func dir(_ path: String) -> (TarEntry, String?) { (TarEntry(path: path, kind: .directory, mode: 0o755), nil) }
    static func link(_ path: String, _ target: String, hard: Bool = false) -> (TarEntry, String?) {
        (TarEntry(path: path, kind: hard ? .hardlink : .symlink, mode: 0o777, linkTarget: target), nil)
    }

    func content(_ union: UnionFilesystem, _ path: String) throws -> String? {
        guard let node = union.node(at: path), node.spoolID != nil else { return nil }
        return String(decoding: try union.contents(of: node).readAll(limit: 1 << 20, what: path), as: UTF8.self)
    }

    @Test func whiteoutsHideLowerLayersOnly() throws {
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0,
            stream: Self.layer([
                Self.dir("etc/"), Self.file("etc/a.conf", "1"), Self.file("etc/old.conf", "x"),
                Self.dir("usr/share/junk/"), Self.file("usr/share/junk/f", "j"), Self.file("keep", "k"),
            ]), place: "layer 1")
        try union.apply(
            layer: 1,
            stream: Self.layer([
                Self.file("etc/a.conf", "2"),  // written before the opaque marker, same layer: stays
                (TarEntry(path: "etc/.wh..wh..opq", kind: .regular, mode: 0o644), ""),
                (TarEntry(path: "usr/share/.wh.junk", kind: .regular, mode: 0o644), ""),
            ]), place: "layer 2")
        #expect(try content(union, "etc/a.conf") == "2")
        #expect(union.node(at: "etc/old.conf") == nil)
        #expect(union.node(at: "usr/share/junk") == nil)
        #expect(union.node(at: "usr/share/junk/f") == nil)
        #expect(try content(union, "keep") == "k")
        #expect(!union.listedNodes(under: "").contains { $0.path.contains(".wh.") })
    }

    @Test func fileReplacingDirectoryRemovesItsChildren() throws {
        let union = try UnionFilesystem()
        try union.apply(layer: 0, stream: Self.layer([Self.dir("d/"), Self.file("d/x", "1")]), place: "layer 1")
        try union.apply(layer: 1, stream: Self.layer([Self.file("d", "now a file")]), place: "layer 2")
        #expect(union.node(at: "d/x") == nil)
        #expect(try content(union, "d") == "now a file")
    }

    @Test func hardLinksShareContent() throws {
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0, stream: Self.layer([Self.file("lib/a", "data"), Self.link("lib/b", "lib/a", hard: true)]),
            place: "layer 1")
        #expect(union.node(at: "lib/a")?.spoolID == union.node(at: "lib/b")?.spoolID)
        #expect(try content(union, "lib/b") == "data")
    }

    @Test(
        "hostile entries are refused with their name",
        arguments: [
            ([file("../../etc/evil", "x")], "../../etc/evil"),
            ([file("/etc/evil", "x")], "/etc/evil"),
            ([link("lib", "/etc"), file("lib/evil", "x")], "lib/evil"),
            ([file("a", "x"), file("a/b", "y")], "a/b"),
            ([link("x", "missing", hard: true)], "x"),
            ([(TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666), nil)], "dev/null"),
            ([(TarEntry(path: "dev/sda", kind: .blockDevice, mode: 0o666), nil)], "dev/sda"),
        ])
    func hostile(entries: [(TarEntry, String?)], name: String) throws {
        let union = try UnionFilesystem()
        do {
            try union.apply(layer: 0, stream: Self.layer(entries), place: "layer 1 of the agent")
            Issue.record("the layer was accepted")
        } catch let error as PatchError {
            guard case .hostileAgentEntry(let place, let path, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == name)
            #expect(place == "layer 1 of the agent")
        }
    }

    @Test func selectionRelocatesAndRerootsLinks() throws {
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0,
            stream: Self.layer([
                Self.file("bin/tool", "t", mode: 0o700), Self.file("lib64/libc.so.6", "c"),
                Self.link("lib64/libc-link", "/lib64/libc.so.6"), Self.link("lib64/rel", "libc.so.6"),
                Self.link("lib64/outside", "/usr/lib/x"), Self.file("opt/skip", "s"),
                Self.file("lib64/z", "z"), Self.link("lib64/a-hard", "lib64/z", hard: true),
            ]), place: "layer 1")
        let selection = AgentTreeSelection(
            installDirectory: "opt/CS/rootfs", agentRoot: "", includes: ["bin", "lib64"],
            normalizeModes: true, defaultTime: 0)
        let entries = selection.entries(of: union)
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0.tar) })
        #expect(entries.map(\.path) == entries.map(\.path).sorted())
        #expect(byPath["opt"] == nil && byPath["opt/CS"] == nil, "the install directory's parents are the application's")
        #expect(byPath["opt/CS/rootfs"]?.mode == 0o555)
        #expect(byPath["opt/CS/rootfs/bin/tool"]?.mode == 0o555)
        #expect(byPath["opt/CS/rootfs/lib64/libc.so.6"]?.mode == 0o444)
        #expect(byPath["opt/CS/rootfs/lib64/libc-link"]?.linkTarget == "/opt/CS/rootfs/lib64/libc.so.6")
        #expect(byPath["opt/CS/rootfs/lib64/rel"]?.linkTarget == "libc.so.6")
        #expect(byPath["opt/CS/rootfs/lib64/outside"]?.linkTarget == "/opt/CS/rootfs/usr/lib/x")
        #expect(byPath["opt/CS/rootfs/opt/skip"] == nil)
        // "a-hard" sorts before "z": it carries the data and "z" links to it.
        #expect(byPath["opt/CS/rootfs/lib64/a-hard"]?.kind == .regular)
        #expect(byPath["opt/CS/rootfs/lib64/z"]?.kind == .hardlink)
        #expect(byPath["opt/CS/rootfs/lib64/z"]?.linkTarget == "opt/CS/rootfs/lib64/a-hard")
        #expect(entries.allSatisfy { $0.tar.uid == 0 && $0.tar.gid == 0 })
    }
}

@Suite("Tar names")
struct TarNameTests {
    /// Real agents carry names such as CA bundles' "Főtanúsítvány.crt"; the CLI runs in the C locale.
    @Test func nonASCIINamesSurviveWritingAndReading() throws {
        let names = ["usr/share/ca/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt", "usr/share/日本語/ファイル"]
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0,
            stream: UnionFilesystemTests.layer(
                names.map { UnionFilesystemTests.file($0, "x") }
                    + [UnionFilesystemTests.link("usr/share/lien-é", "/usr/share/ca/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt")]),
            place: "layer 1")
        for name in names { #expect(union.node(at: name)?.kind == .regular) }
        #expect(
            union.node(at: "usr/share/lien-é")?.symlinkTarget == Array("/usr/share/ca/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt".utf8))
    }
}

@Suite("Unicode names are bytes")
struct UnicodeNormalisationTests {
    /// "café" in NFC and in NFD are two files on Linux; Swift's String equality would merge them.
    /// (Names stored as raw bytes, as our writer and GNU tar store them, stay apart; libarchive
    /// itself normalises UTF-8 pax `path` records to NFC when it reads them.)
    @Test func canonicallyEquivalentNamesStayDistinct() throws {
        let nfc = "usr/share/caf\u{00E9}"
        let nfd = "usr/share/cafe\u{0301}"
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0,
            stream: UnionFilesystemTests.layer([
                UnionFilesystemTests.file(nfc, "composed"), UnionFilesystemTests.file(nfd, "decomposed"),
                UnionFilesystemTests.file("usr/share/keep-\u{00E9}", "stays"),
            ]), place: "layer 1")
        try union.apply(
            layer: 1,
            stream: UnionFilesystemTests.layer([
                (TarEntry(path: "usr/share/.wh.keep-e\u{0301}", kind: .regular, mode: 0o644), "")
            ]), place: "layer 2")
        #expect(union.listedNodes(under: "usr/share").count(where: { $0.path.hasPrefix("usr/share/caf") }) == 2)
        let composed = try #require(union.node(at: nfc))
        let decomposed = try #require(union.node(at: nfd))
        #expect(String(decoding: try union.contents(of: composed).readAll(limit: 64, what: nfc), as: UTF8.self) == "composed")
        #expect(String(decoding: try union.contents(of: decomposed).readAll(limit: 64, what: nfd), as: UTF8.self) == "decomposed")
        #expect(union.node(at: "usr/share/keep-\u{00E9}") != nil, "a whiteout of the NFD name must not hide the NFC file")
    }
}
