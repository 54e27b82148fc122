import Foundation
import Testing

/// Hostile `docker-archive:` files: a manifest.json with wrong JSON types or paths that leave the
/// archive, and archives whose errors must say which file, layer and digest they concern.
@Suite("Local inputs: docker-archive files")
struct DockerArchiveInputTests {
    /// Packs `files` (name → content) into a tar at `archive`.
    static func makeArchive(_ archive: String, files: [String: Data], in tmp: TempDirectory) async throws {
        let directory = try TempDirectory.make(in: tmp.path, prefix: "members-")
        for (name, content) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try content.write(to: URL(fileURLWithPath: path))
        }
        try await ProcessRunner.check("tar", ["-cf", archive, "-C", directory] + files.keys.sorted())
    }

    enum BadManifest: String, CaseIterable, CustomTestStringConvertible {
        case configNotString, layersNotArray, repoTagsNotStrings, entryNotObject, innerDotDot, climbsOut, absolute, configIsDirectory
        var testDescription: String { rawValue }

        var json: String {
            switch self {
            case .configNotString: #"[{"Config":7,"RepoTags":[],"Layers":[]}]"#
            case .layersNotArray: #"[{"Config":"c.json","RepoTags":[],"Layers":"l.tar"}]"#
            case .repoTagsNotStrings: #"[{"Config":"c.json","RepoTags":["app:1",2],"Layers":[]}]"#
            case .entryNotObject: #"["c.json"]"#
            case .innerDotDot: #"[{"Config":"dir/../c.json","RepoTags":[],"Layers":[]}]"#
            case .climbsOut: #"[{"Config":"../../../etc/passwd","RepoTags":[],"Layers":[]}]"#
            case .absolute: #"[{"Config":"/etc/passwd","RepoTags":[],"Layers":[]}]"#
            case .configIsDirectory: #"[{"Config":"dir","RepoTags":[],"Layers":[]}]"#
            }
        }

        /// What the one error line must name besides the archive.
        var mentions: [String] {
            switch self {
            case .configNotString: ["manifest.json", "entry 0", "Config"]
            case .layersNotArray: ["manifest.json", "entry 0", "Layers"]
            case .repoTagsNotStrings: ["manifest.json", "RepoTags[1]", "not a string"]
            case .entryNotObject: ["manifest.json", "entry 0", "not an object"]
            case .innerDotDot: ["manifest.json", "dir/../c.json", ".."]
            case .climbsOut: ["manifest.json", "../../../etc/passwd"]
            case .absolute: ["manifest.json", "/etc/passwd", "absolute"]
            case .configIsDirectory: ["config dir", "a directory"]
            }
        }
    }

    @Test("a hostile manifest.json is refused with one error line", arguments: BadManifest.allCases)
    func hostileManifest(_ bad: BadManifest) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("docker-manifest") { tmp in
            let archive = tmp.appending("agent.tar")
            try await Self.makeArchive(
                archive,
                files: [
                    "manifest.json": Data(bad.json.utf8),
                    "c.json": Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8),
                    "dir/placeholder": Data(),
                ], in: tmp)
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "single"), agent: "docker-archive:\(archive)",
                target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: [archive] + bad.mentions)
            Expect.nothingWritten(at: target)
        }
    }

    @Test("a file that is not a tar archive is named in the error")
    func notAnArchive() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("not-archive") { tmp in
            let archive = tmp.appending("notes.txt")
            try Data(String(repeating: "not a tar archive\n", count: 100).utf8).write(to: URL(fileURLWithPath: archive))
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: "oci-archive:\(archive):1", agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: ["oci-archive:\(archive)", "\(archive) is not a tar archive"])
            Expect.nothingWritten(at: target)
        }
    }

    /// The app's docker save with its second layer replaced by a truncated gzip of it: the error
    /// names the archive, the layer's index, its file and its diff_id.
    @Test("a truncated gzip layer is named by archive, index, file and diff_id")
    func truncatedGzipLayer() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("truncated-layer") { tmp in
            let unpacked = try tmp.appending("unpacked", creating: true)
            try await ProcessRunner.check("tar", ["-xf", fixtures.appDockerTar, "-C", unpacked])
            let diffID = try #require(fixtures.summary.fixtures["app-docker.tar"]?.diffIds?.last)
            let member = diffID.replacingOccurrences(of: "sha256:", with: "") + "/layer.tar"
            let layer = try Data(contentsOf: URL(fileURLWithPath: unpacked + "/" + member))
            let gzipped = try await ProcessRunner.check("gzip", ["-c"], stdin: layer).stdout
            try gzipped.prefix(gzipped.count - 12).write(to: URL(fileURLWithPath: unpacked + "/" + member))
            let archive = tmp.appending("app.tar")
            try await ProcessRunner.check("tar", ["-cf", archive, "-C", unpacked, "."])
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: "docker-archive:\(archive)", agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(target):p")
            Expect.oneLineError(run, mentions: [archive, "layer 2 of 2", member, diffID, "truncated"])
            Expect.nothingWritten(at: target)
        }
    }
}
