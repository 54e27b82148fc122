import Foundation
import IOFoundation
import OCI
import Tar
import Testing

@testable import ImagePatch

/// The agent layer leaves the application's directories alone, and none of its links lead out of
/// the install directory.
@Suite("Agent layer directories and links")
struct AgentDirectoryAndLinkTests {
    typealias Layers = UnionFilesystemTests

    /// Every entry of a built layer, read back from its gzip tar.
    static func entries(_ layer: AgentLayer) throws -> [TarEntry] {
        let file = try FileReader(path: layer.file)
        let reader = try TarReader(reading: file, decompressing: true)
        var entries: [TarEntry] = []
        while let entry = try reader.nextEntry() { entries.append(entry) }
        return entries
    }

    @Test(
        "install directories in or under /tmp, /var/tmp, /dev, /proc, /sys, or / itself, are refused",
        arguments: ["tmp", "tmp/agent", "var/tmp/agent", "dev/agent", "proc/x", "sys/x", ""])
    func forbiddenInstallDirectory(_ install: String) async throws {
        // The blob is missing: had anything been read before the check, the error would say so.
        let image = AgentImageDouble(layers: [.init(mediaType: MediaType.ociLayerGzip, blob: [1], diffID: .sha256(of: []))])
        do {
            _ = try await image.build(.testing(install: install))
            Issue.record("/\(install) was accepted")
        } catch let error as PatchError {
            guard case .invalidOption(let name, let reason) = error else { throw error }
            #expect(name == "--install-dir")
            #expect(reason.contains(install.isEmpty ? "must not be /" : "/\(install)"))
        }
    }

    @Test("other install directories are accepted", arguments: ["opt/agent", "tmpfs/agent", "var/lib/agent", "var/tmpx", "device"])
    func allowedInstallDirectory(_ install: String) throws {
        try AgentTreeSettings.testing(install: install).validate()
    }

    /// `opt/` written as 0755 root would replace the application's /opt mode; `tmp/` its sticky 1777.
    @Test func noEntryForTheInstallDirectorysParents() async throws {
        let tar = try Layers.tarBytes([Layers.dir("bin/"), Layers.file("bin/agent", "a", mode: 0o755), Layers.file("usr/lib/x/y", "y")])
        let layer = try await AgentImageDouble(tars: [tar]).build(.testing(install: "opt/vendor/agent", includes: ["bin", "usr/lib/x"]))
        let byPath = Dictionary(uniqueKeysWithValues: try Self.entries(layer).map { ($0.path, $0) })
        #expect(
            Set(byPath.keys) == [
                "opt/vendor/agent/", "opt/vendor/agent/bin/", "opt/vendor/agent/bin/agent",
                "opt/vendor/agent/usr/", "opt/vendor/agent/usr/lib/", "opt/vendor/agent/usr/lib/x/y",
            ])
        #expect(byPath["opt/vendor/agent/"]?.mode == 0o555)
        #expect(byPath["opt/vendor/agent/usr/lib/"]?.mode == 0o555, "an include's parents stay a=rX")
        #expect(byPath.values.allSatisfy { $0.uid == 0 && $0.gid == 0 })
    }

    @Test(
        "symlink targets resolve inside the install directory",
        arguments: [
            // (agent root, link, target, expected target in the layer)
            ("", "lib64/rel", "libc.so.6", "libc.so.6"),
            ("", "lib64/dot", "./libc.so.6", "./libc.so.6"),
            ("", "usr/lib/x/up", "../../../etc/passwd", "../../../etc/passwd"),
            ("", "lib64/abs", "/lib64/libc.so.6", "/opt/CS/rootfs/lib64/libc.so.6"),
            ("", "lib64/escape", "../../../../etc/shadow", "/opt/CS/rootfs/etc/shadow"),
            ("", "lib64/abs-dotdot", "/opt/agent/../../etc/shadow", "/opt/CS/rootfs/etc/shadow"),
            ("", "lib64/abs-root", "/../../etc/shadow", "/opt/CS/rootfs/etc/shadow"),
            ("", "lib64/after-name", "sub/../../../etc", "/opt/CS/rootfs/etc"),
            ("", "lib64/to-root", "..", ".."),
            ("", "lib64/above-root", "../..", "/opt/CS/rootfs"),
            ("rootfs", "rootfs/bin/sh", "../lib/x", "../lib/x"),
            ("rootfs", "rootfs/bin/out", "../../etc/x", "/opt/CS/rootfs/etc/x"),
            ("rootfs", "rootfs/bin/abs", "/rootfs/lib/x", "/opt/CS/rootfs/lib/x"),
            ("rootfs", "rootfs/bin/abs-out", "/etc/x", "/opt/CS/rootfs/etc/x"),
        ])
    func linkTargets(agentRoot: String, link: String, target: String, expected: String) {
        let selection = AgentTreeSelection(
            installDirectory: "opt/CS/rootfs", agentRoot: agentRoot, includes: nil,
            normalizeModes: true, defaultTime: 0)
        #expect(selection.linkTarget(Array(target.utf8), at: link) == Array(expected.utf8))
    }

    /// Bytes that are not UTF-8 (Latin-1 names, say) are kept as they are, rewritten or not.
    @Test func linkTargetsAreBytes() async throws {
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9]  // "café" in Latin-1
        var relative = TarEntry(path: "lib/rel", kind: .symlink, mode: 0o777)
        relative.linkTargetBytes = latin1
        var absolute = TarEntry(path: "lib/abs", kind: .symlink, mode: 0o777)
        absolute.linkTargetBytes = Array("/x/../".utf8) + latin1
        let tar = try Layers.tarBytes([Layers.dir("lib/"), (relative, nil), (absolute, nil)])
        let union = try UnionFilesystem()
        try union.apply(layer: 0, stream: MemoryReader(tar), place: "layer 1")
        #expect(union.node(at: "lib/rel")?.symlinkTarget == latin1)

        let layer = try await AgentImageDouble(tars: [tar]).build(.testing())
        let written = Dictionary(uniqueKeysWithValues: try Self.entries(layer).map { ($0.path, $0.linkTargetBytes) })
        #expect(written["opt/CS/rootfs/lib/rel"] == latin1)
        #expect(written["opt/CS/rootfs/lib/abs"] == Array("/opt/CS/rootfs/".utf8) + latin1)
    }

    /// The falcon fixture patched with /tmp as install directory: one error line, nothing written.
    @Test func cliRefusesAnInstallDirectoryUnderTmp() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("tmp-install") { directory in
            let target = directory.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "single"), agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):1", extra: ["--install-dir", "/tmp/CrowdStrike"])
            Expect.oneLineError(run, mentions: ["--install-dir", "/tmp/CrowdStrike", "/tmp"])
            Expect.nothingWritten(at: target)
        }
    }
}
