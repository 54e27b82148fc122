import Foundation
import Testing

/// Inputs imagepatch must refuse, each with what its one error line has to name.
enum BadInput: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case hostileDotDot, hostileAbsolute, hostileSymlink, hostileDevice, hostileBigDigest
    case missingTag, noEntrypoint, missingCID, unsupportedTransport
    case malformedIndexJSON, alteredBlob, schema1Manifest, agentLacksPlatform
    case entrypointIsString, envHoldsNumber, fullWidthCID, sourceDateEpochOverflow, sourceDateEpochFullWidth
    case agentPastMaxAgentSize, archivePastMaxArchiveSize

    var testDescription: String { rawValue }

    struct Invocation {
        var source: String
        var agent: String
        var cid: String? = ImagePatchCLI.cid
        /// Substrings the error line must contain.
        var mentions: [String]
        var environment: [String: String?] = [:]
        var extra: [String] = []
    }

    /// Builds whatever the case needs inside `tmp` and says how to run it.
    func invocation(_ fixtures: Fixtures, in tmp: TempDirectory) throws -> Invocation {
        let app = fixtures.oci("app-oci", "single")
        let agent = fixtures.oci("agent-oci", "7")
        switch self {
        case .hostileDotDot:
            return Invocation(source: app, agent: fixtures.oci("hostile-dotdot", "7"), mentions: ["hostile-dotdot", "../../etc/evil"])
        case .hostileAbsolute:
            return Invocation(source: app, agent: fixtures.oci("hostile-absolute", "7"), mentions: ["hostile-absolute", "/etc/evil"])
        case .hostileSymlink:
            return Invocation(source: app, agent: fixtures.oci("hostile-symlink", "7"), mentions: ["hostile-symlink", "lib/evil"])
        case .hostileDevice:
            return Invocation(source: app, agent: fixtures.oci("hostile-device", "7"), mentions: ["hostile-device", "dev/null"])
        case .hostileBigDigest:
            let layer = try #require(try fixtures.summary.manifest("hostile-bigdigest", "7").layers.first)
            return Invocation(source: app, agent: fixtures.oci("hostile-bigdigest", "7"), mentions: [layer.digest])
        case .missingTag:
            return Invocation(source: fixtures.oci("app-oci", "no-such-tag"), agent: agent, mentions: ["no-such-tag"])
        case .noEntrypoint:
            return Invocation(
                source: fixtures.oci("app-oci", "no-entrypoint"), agent: agent,
                mentions: ["app-oci:no-entrypoint", "Entrypoint"])
        case .missingCID:
            return Invocation(source: app, agent: agent, cid: nil, mentions: ["--cid"])
        case .unsupportedTransport:
            return Invocation(source: "dir:/x", agent: agent, mentions: ["dir:/x"])
        case .malformedIndexJSON:
            let layout = try Self.copyLayout(fixtures.appOCI, to: tmp.appending("bad-index"))
            try Data(#"{"schemaVersion":2,"manifests":["#.utf8).write(to: URL(fileURLWithPath: layout + "/index.json"))
            return Invocation(source: "oci:\(layout):single", agent: agent, mentions: [layout + "/index.json"])
        case .alteredBlob:
            let layout = try Self.copyLayout(fixtures.appOCI, to: tmp.appending("altered"))
            let layer = try #require(try fixtures.summary.manifest("app-oci", "single").layers.last)
            try Self.flipByte(in: LayoutFiles(directory: layout).blobPath(layer.digest), at: layer.size / 2)
            return Invocation(source: "oci:\(layout):single", agent: agent, mentions: [layer.digest])
        case .schema1Manifest:
            let layout = try Self.schema1Layout(at: tmp.appending("schema1"))
            return Invocation(source: "oci:\(layout):1", agent: agent, mentions: ["schema1:1", "schema 1"])
        case .entrypointIsString:
            let source = try HostileLayout.make(from: fixtures, at: tmp.appending("entrypoint-string")) { $0["Entrypoint"] = "/app/run.sh" }
            return Invocation(source: source, agent: agent, mentions: ["entrypoint-string:hostile", "Entrypoint", "a string"])
        case .envHoldsNumber:
            let source = try HostileLayout.make(from: fixtures, at: tmp.appending("env-number")) { $0["Env"] = ["PATH=/bin", 7] }
            return Invocation(source: source, agent: agent, mentions: ["env-number:hostile", "Env", "a number at index 1"])
        case .fullWidthCID:
            return Invocation(source: app, agent: agent, cid: "０１２３456789abcdef0123456789abcdef-12", mentions: ["--cid"])
        case .sourceDateEpochOverflow:
            return Invocation(
                source: app, agent: agent, mentions: ["SOURCE_DATE_EPOCH", "99999999999999999"],
                environment: ["SOURCE_DATE_EPOCH": "99999999999999999"])
        case .sourceDateEpochFullWidth:
            return Invocation(source: app, agent: agent, mentions: ["SOURCE_DATE_EPOCH"], environment: ["SOURCE_DATE_EPOCH": "１７００"])
        case .agentPastMaxAgentSize:
            return Invocation(source: app, agent: agent, mentions: ["--max-agent-size", "agent-oci"], extra: ["--max-agent-size", "4K"])
        case .archivePastMaxArchiveSize:
            return Invocation(
                source: "docker-archive:\(fixtures.appDockerTar)", agent: agent, mentions: ["--max-archive-size", "app-docker.tar"],
                extra: ["--max-archive-size", "16K", "--platform", "linux/amd64"])
        case .agentLacksPlatform:
            return Invocation(
                source: fixtures.oci("app-oci", "1"), agent: "docker-archive:\(fixtures.agentDockerBz2)",
                mentions: ["agent-docker.tar.bz2", "linux/arm64"])
        }
    }

    static func copyLayout(_ layout: String, to destination: String) throws -> String {
        try FileManager.default.copyItem(atPath: layout, toPath: destination)
        return destination
    }

    static func flipByte(in path: String, at offset: Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    /// A layout whose only tag, "1", names a Docker schema 1 (signed) manifest.
    static func schema1Layout(at directory: String) throws -> String {
        let manifest = Data(
            #"{"schemaVersion":1,"name":"example.invalid/app","tag":"1","architecture":"amd64","fsLayers":[],"history":[]}"#.utf8)
        let digest = sha256Digest(manifest)
        let files = LayoutFiles(directory: directory)
        try FileManager.default.createDirectory(atPath: directory + "/blobs/sha256", withIntermediateDirectories: true)
        try manifest.write(to: URL(fileURLWithPath: files.blobPath(digest)))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        let index =
            #"{"schemaVersion":2,"manifests":[{"mediaType":"\#(MediaTypes.schema1Signed)","digest":"\#(digest)","size":\#(manifest.count),"annotations":{"org.opencontainers.image.ref.name":"1"}}]}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: directory + "/index.json"))
        return directory
    }
}
