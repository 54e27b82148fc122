import Foundation
import Glibc
import Testing

/// The multi-arch patched image unpacked by umoci and run in a chroot, per architecture
/// (arm64 through qemu-user).
@Suite("Multi-arch OCI index: unpacked rootfs and entrypoint")
struct MultiArchRootfsTests {
    static let install = "opt/CrowdStrike/rootfs"

    @Test("the patched entrypoint starts the agent, then the application", arguments: FixtureArch.allCases)
    func entrypointRuns(_ arch: FixtureArch) async throws {
        let bundle = try await SharedImages.multiArchBundle(arch)
        let run = try await Oracles.runPatchedEntrypoint(bundle: bundle)
        Expect.agentStartedBeforeApp(run)
    }

    @Test("the agent tree is the union of the agent's layers, under the install directory", arguments: FixtureArch.allCases)
    func agentTree(_ arch: FixtureArch) async throws {
        let rootfs = try await SharedImages.multiArchBundle(arch) + "/rootfs"
        let agent = rootfs + "/" + Self.install
        let fm = FileManager.default

        // Layer 2 of the agent replaced /etc (opaque) and whited out usr/share/junk and opt/stale.
        #expect(try String(contentsOfFile: agent + "/etc/agent.conf", encoding: .utf8) == "version=2\n")
        #expect(!fm.fileExists(atPath: agent + "/etc/old.conf"))
        #expect(!fm.fileExists(atPath: agent + "/usr/share/junk"))
        #expect(!fm.fileExists(atPath: agent + "/opt"), "opt/ is not in the falcon preset's includes")
        #expect(fm.fileExists(atPath: agent + "/bin/falcon-version"))
        #expect(fm.fileExists(atPath: agent + "/lib64/\(arch.loader)"))

        // An absolute symlink is re-rooted under the install directory; a hard link stays one.
        #expect(
            try fm.destinationOfSymbolicLink(atPath: agent + "/lib64/libc-link.so.6")
                == "/\(Self.install)/lib64/libc.so.6")
        let hard = try #require(Self.lstat(agent + "/lib64/libtinfo-hard.so.6"))
        let target = try #require(Self.lstat(agent + "/lib64/libtinfo.so.6"))
        #expect(hard.st_ino == target.st_ino)
        #expect(hard.st_mode & S_IFMT == S_IFREG)

        // The application's own files are untouched and no whiteout file survives anywhere.
        #expect(fm.fileExists(atPath: rootfs + "/app/run.sh"))
        let all = try fm.subpathsOfDirectory(atPath: rootfs)
        #expect(!all.contains { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(".wh.") })
    }

    @Test("agent files are root-owned with modes a=rX (0444 / 0555)", arguments: FixtureArch.allCases)
    func agentModesAndOwners(_ arch: FixtureArch) async throws {
        let agent = try await SharedImages.multiArchBundle(arch) + "/rootfs/" + Self.install
        var wrong: [String] = []
        var checked = 0
        for relative in try FileManager.default.subpathsOfDirectory(atPath: agent) + [""] {
            let info = try #require(Self.lstat(agent + "/" + relative))
            if info.st_uid != 0 || info.st_gid != 0 { wrong.append("\(relative): owner \(info.st_uid):\(info.st_gid)") }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFLNK { continue }
            let mode = info.st_mode & 0o7777
            let allowed: Set<mode_t> = kind == S_IFDIR ? [0o555] : [0o444, 0o555]
            if !allowed.contains(mode) { wrong.append("\(relative): mode \(String(mode, radix: 8))") }
            checked += 1
        }
        #expect(checked > 5)
        #expect(wrong.isEmpty, "\(wrong)")
        let bash = try #require(Self.lstat(agent + "/bin/bash"))
        #expect(bash.st_mode & 0o7777 == 0o555)
        let conf = try #require(Self.lstat(agent + "/etc/agent.conf"))
        #expect(conf.st_mode & 0o7777 == 0o444)
    }

    @Test("the agent layer's tar holds only the install tree and no whiteouts", arguments: FixtureArch.allCases)
    func agentLayerEntries(_ arch: FixtureArch) async throws {
        let image = try await MultiArchIndexTests.patched()
        let index = try image.files.index(image.files.entry(tag: image.tag).digest)
        let manifest = try image.files.manifest(try #require(index.entry(arch)).digest)
        let layer = try #require(manifest.layers.last)
        let names = try await ProcessRunner.check("tar", ["-tzf", image.files.blobPath(layer.digest)]).stdoutLines
        #expect(!names.isEmpty)
        let outside = names.filter { name in
            let path = name.hasSuffix("/") ? String(name.dropLast()) : name
            return !(path == "opt" || path == "opt/CrowdStrike" || path == Self.install || path.hasPrefix(Self.install + "/"))
        }
        #expect(outside.isEmpty, "entries outside /\(Self.install): \(outside)")
        #expect(!names.contains { $0.split(separator: "/").contains { $0.hasPrefix(".wh.") } })
    }

    static func lstat(_ path: String) -> stat? {
        var info = stat()
        return Glibc.lstat(path, &info) == 0 ? info : nil
    }
}
