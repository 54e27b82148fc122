import Foundation
import Glibc
import TestTools
import Testing

/// The oci-archive image of imagepatch: read by skopeo, unpacked by umoci, and run the way a runtime
/// would run it (its Entrypoint, Env and User from umoci's runtime spec), in a chroot with a /proc
/// of its own (`unshare --mount --pid --fork --mount-proc`; Swift reads its arguments there).
@Suite struct ImageArchiveTests {
    @Test func skopeoReadsTheConfig() async throws {
        let build = try await PackageBuild.shared()
        let reference = "oci-archive:\(build.archive):\(build.version)"
        let configText = try await Tools.check("skopeo", ["inspect", "--config", reference]).stdout
        let config = try #require(try JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any])
        #expect(config["architecture"] as? String == "amd64")
        #expect(config["os"] as? String == "linux")
        let settings = try #require(config["config"] as? [String: Any])
        #expect(settings["Entrypoint"] as? [String] == ["imagepatch"])
        #expect(settings["User"] as? String == "65532:65532")
        let env = settings["Env"] as? [String] ?? []
        #expect(env.contains { $0.hasPrefix("PATH=") && $0.contains("/usr/bin") })
        #expect(env.contains("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"))
        let labels = settings["Labels"] as? [String: String] ?? [:]
        #expect(labels["org.opencontainers.image.version"] == build.version)
        #expect(config["created"] as? String == "2023-11-14T22:13:20Z")  // SOURCE_DATE_EPOCH=1700000000

        let manifestText = try await Tools.check("skopeo", ["inspect", "--raw", reference]).stdout
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(manifestText.utf8)) as? [String: Any])
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((manifest["layers"] as? [Any])?.count == 1)
    }

    /// The root filesystem holds the binary, exactly the libraries `ldd` names for it (the loader
    /// included), the CA bundle, the user and group files, and nothing else.
    @Test func rootfsHoldsExactlyWhatTheBinaryNeeds() async throws {
        let build = try await PackageBuild.shared()
        let bundle = try await Self.unpack(build)
        let rootfs = bundle + "/rootfs"
        var files: Set<String> = []
        let walker = FileManager.default.enumerator(atPath: rootfs)
        while let path = walker?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: rootfs + "/" + path)
            if attributes[.type] as? FileAttributeType == .typeRegular { files.insert("/" + path) }
        }
        let ldd = try await Tools.check("ldd", [PackageBuild.binary]).stdout
        var expected: Set<String> = ["/usr/bin/imagepatch", "/etc/ssl/certs/ca-certificates.crt", "/etc/passwd", "/etc/group"]
        for line in ldd.split(separator: "\n") {
            let fields = line.split { $0 == " " || $0 == "\t" }.map(String.init)
            guard let path = fields.first(where: { $0.hasPrefix("/") }) else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().resolvingSymlinksInPath().path
            expected.insert(directory + "/" + URL(fileURLWithPath: path).lastPathComponent)
        }
        #expect(files == expected, "extra: \(files.subtracting(expected).sorted()), missing: \(expected.subtracting(files).sorted())")
        let passwd = try String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("nonroot:x:65532:65532:"))
        var tmp = stat()
        #expect(stat(rootfs + "/tmp", &tmp) == 0 && tmp.st_mode & 0o7777 == 0o1777)
    }

    @Test func entrypointRunsAsTheNonRootUser() async throws {
        let build = try await PackageBuild.shared()
        let bundle = try await Self.unpack(build)
        let result = try await Self.runEntrypoint(bundle: bundle, ["--version"])
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.stdout == build.version + "\n")
    }

    /// A real offline patch inside the image, as its user: the fixtures' two-platform application and
    /// agent layouts in, an oci-archive out, written in the user's home.
    @Test func patchesAnImageInsideTheImage() async throws {
        let build = try await PackageBuild.shared()
        let bundle = try await Self.unpack(build)
        let home = bundle + "/rootfs/home/nonroot"
        let fixtures = PackageBuild.root + "/testdata/generated"
        for layout in ["app-oci", "agent-oci"] {
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(layout)", toPath: "\(home)/\(layout)")
        }
        let result = try await Self.runEntrypoint(
            bundle: bundle,
            [
                "patch", "--source", "oci:/home/nonroot/app-oci:1", "--agent", "oci:/home/nonroot/agent-oci:7",
                "--target", "oci-archive:/home/nonroot/patched.tar:1-protected", "--cid", "0123456789abcdef0123456789abcdef-12",
            ])
        #expect(result.exitCode == 0, "\(result)")
        var info = stat()
        #expect(stat(home + "/patched.tar", &info) == 0 && info.st_uid == 65532)
        // skopeo, outside, reads what imagepatch wrote inside.
        let inspected = try await Tools.check("skopeo", ["inspect", "--raw", "oci-archive:\(home)/patched.tar:1-protected"]).stdout
        let index = try #require(try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any])
        let platforms = (index["manifests"] as? [[String: Any]] ?? []).compactMap {
            ($0["platform"] as? [String: Any])?["architecture"] as? String
        }
        #expect(platforms.sorted() == ["amd64", "arm64"])
    }

    /// The same binary and SOURCE_DATE_EPOCH give the same archive, byte for byte.
    @Test func isReproducible() async throws {
        let build = try await PackageBuild.shared()
        let again = try Scratch.directory("again")
        try await Tools.check(
            PackageBuild.root + "/scripts/package",
            ["--binary", PackageBuild.binary, "--allow-dynamic-swift", "--only", "image", "--out", again],
            environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        let first = try Data(contentsOf: URL(fileURLWithPath: build.archive))
        let second = try Data(contentsOf: URL(fileURLWithPath: "\(again)/imagepatch-\(build.version).oci.tar"))
        #expect(first == second)
    }

    /// Extracts the archive and unpacks it with umoci into a new bundle directory.
    static func unpack(_ build: PackageBuild) async throws -> String {
        guard geteuid() == 0 else { throw NeedsRoot() }
        let directory = try Scratch.directory("image")
        try FileManager.default.createDirectory(atPath: directory + "/layout", withIntermediateDirectories: false)
        try await Tools.check("tar", ["-xf", build.archive, "-C", directory + "/layout"])
        try await Tools.check("umoci", ["unpack", "--image", "\(directory)/layout:\(build.version)", directory + "/bundle"])
        return directory + "/bundle"
    }

    /// The bundle's process (args, env, uid:gid from umoci's config.json) with `extra` arguments
    /// appended, in a chroot of its rootfs with a private /proc.
    static func runEntrypoint(bundle: String, _ extra: [String]) async throws -> ToolResult {
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))) as? [String: Any]
        let process = try #require(spec?["process"] as? [String: Any])
        let user = try #require(process["user"] as? [String: Any])
        let uid = try #require(user["uid"] as? Int)
        let gid = try #require(user["gid"] as? Int)
        #expect(uid == 65532 && gid == 65532)
        var environment: [String: String] = [:]
        for entry in process["env"] as? [String] ?? [] {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let args = try #require(process["args"] as? [String])
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/proc", withIntermediateDirectories: true)
        return try await Tools.run(
            "unshare",
            [
                "--mount", "--pid", "--fork", "--mount-proc=\(bundle)/rootfs/proc", try Tools.resolve("chroot"),
                "--userspec=\(uid):\(gid)", bundle + "/rootfs",
            ]
                + args + extra,
            environment: environment, clearEnvironment: true)
    }

    struct NeedsRoot: Error, CustomStringConvertible {
        var description: String { "unpacking and running the image in a chroot needs root" }
    }
}
