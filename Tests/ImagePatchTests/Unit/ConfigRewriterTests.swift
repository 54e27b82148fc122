import IOFoundation
import JSON
import OCI
import Testing

@testable import ImagePatch

@Suite("Config rewrite")
struct ConfigRewriterTests {
    static let original =
        #"{"architecture":"amd64","x-first":{"n":1.50,"z":[1e3,-0]},"config":{"Env":["PATH=/bin","FALCONCTL_OPTS=old"],"Entrypoint":["/app"],"Cmd":["run"],"x-inner":true,"Labels":{"a":"b"}},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"history":[{"created_by":"base"}],"os":"linux","x-last":"kept"}"#

    func rewriter(repatch: Bool = false, launcher: [String] = ["/agent/run", "--flag"]) throws -> ConfigRewriter {
        var options = PatchOptions()
        options.agentSettings["cid"] = "0123456789abcdef0123456789abcdef-12"
        options.repatch = repatch
        let layer = AgentLayer(
            file: "/nonexistent", format: .oci(.gzip), digest: Digest(hex: String(repeating: "a", count: 64)),
            size: 1, diffID: Digest(hex: String(repeating: "b", count: 64)), paths: [], symlinks: [:],
            files: nil, storage: try TemporaryDirectory())
        return ConfigRewriter(
            settings: try ResolvedSettings(options), agentReference: "oci:agent:7",
            agentDigest: Digest(hex: String(repeating: "c", count: 64)), launcher: launcher,
            layer: layer,
            layerKey: AgentLayerKey(
                agentManifest: Digest(hex: String(repeating: "c", count: 64)),
                settings: try ResolvedSettings(options).tree, compression: .gzip),
            created: 1_700_000_000)
    }

    func config(_ text: String) throws -> ImageConfig { try ImageConfig(bytes: Array(text.utf8), place: "test config") }

    @Test func untouchedFieldsSurviveExactly() throws {
        let result = try rewriter().rewrite(try config(Self.original), image: "app")
        let text = String(decoding: result.config.serialized, as: UTF8.self)
        #expect(text.hasPrefix(#"{"architecture":"amd64","x-first":{"n":1.50,"z":[1e3,-0]},"config":{"Env":"#))
        #expect(text.contains(#""x-inner":true"#))
        #expect(text.contains(#""os":"linux","x-last":"kept","created":"2023-11-14T22:13:20Z"}"#))
        #expect(result.config.runtime["Labels"]?["a"]?.stringValue == "b")
    }

    @Test func launcherIsPrependedAndCmdKept() throws {
        let result = try rewriter().rewrite(try config(Self.original), image: "app")
        #expect(result.config.entrypoint == ["/agent/run", "--flag", "/app"])
        #expect(result.config.cmd == ["run"])
        #expect(result.config.diffIDs.count == 2)
        #expect(result.config.diffIDs.last == "sha256:" + String(repeating: "b", count: 64))
        #expect(result.config.json["history"]?.arrayValue?.count == 2)
    }

    @Test func presetEnvReplacesSameNameAndAppendsOthers() throws {
        let env = try rewriter().rewrite(try config(Self.original), image: "app").config.env
        #expect(env.first == "PATH=/bin")
        #expect(env[1] == "FALCONCTL_OPTS=--cid=0123456789abcdef0123456789abcdef-12")
        #expect(env.filter { $0.hasPrefix("FALCONCTL_OPTS=") }.count == 1)
        #expect(env.contains("CS_CLOUD_SERVICE=ECS_FARGATE"))
        #expect(env.contains("__CS_FALCON_SENSOR_ROOT=/opt/CrowdStrike/rootfs"))
    }

    @Test func patchedImageIsRefusedThenRepatchedWithoutDoubling() throws {
        let once = try rewriter().rewrite(try config(Self.original), image: "app").config
        #expect(throws: PatchError.self) { try rewriter().rewrite(once, image: "app") }
        let twice = try rewriter(repatch: true, launcher: ["/new"]).rewrite(once, image: "app")
        #expect(twice.droppedPreviousAgentLayer)
        #expect(twice.config.entrypoint == ["/new", "/app"])
        #expect(twice.config.diffIDs.count == 2)
        #expect(twice.config.json["history"]?.arrayValue?.count == 2)
    }

    @Test(
        "an image with nothing to run is refused",
        arguments: [
            #"{"config":{"Env":[]},"rootfs":{"type":"layers","diff_ids":[]}}"#,
            #"{"config":{"Entrypoint":[],"Cmd":null},"rootfs":{"type":"layers","diff_ids":[]}}"#,
            #"{"rootfs":{"type":"layers","diff_ids":[]}}"#,
        ])
    func nothingToRun(text: String) throws {
        #expect(throws: PatchError.noEntrypoint(image: "app")) { try rewriter().rewrite(try config(text), image: "app") }
    }

    @Test(
        "a field of the wrong JSON type is refused before any agent layer is built, naming it",
        arguments: [
            ("Entrypoint", #"{"Entrypoint":"/app","Cmd":["x"]}"#),
            ("Entrypoint", #"{"Entrypoint":{"a":"b"},"Cmd":["x"]}"#),
            ("Entrypoint", #"{"Entrypoint":["/app",1]}"#),
            ("Cmd", #"{"Entrypoint":["/app"],"Cmd":"run"}"#),
            ("Cmd", #"{"Entrypoint":["/app"],"Cmd":[null]}"#),
            ("Env", #"{"Entrypoint":["/app"],"Env":"PATH=/bin"}"#),
            ("Env", #"{"Entrypoint":["/app"],"Env":["PATH=/bin",{"x":1}]}"#),
            ("Labels", #"{"Entrypoint":["/app"],"Labels":["a=b"]}"#),
            ("config", #""run""#),
        ])
    func wrongTypeRefused(field: String, runtime: String) throws {
        let config = try config(#"{"config":\#(runtime),"rootfs":{"type":"layers","diff_ids":[]}}"#)
        let error = #expect(throws: PatchError.self) { try ConfigRewriter.check(config, repatch: false, image: "app") }
        guard case .malformedConfig(let image, let named, _)? = error else {
            Issue.record("expected malformedConfig, got \(String(describing: error))")
            return
        }
        #expect(image == "app")
        #expect(named == field)
        #expect(error?.description.contains(field) == true)
    }

    @Test func nullAndAbsentFieldsAreFine() throws {
        let text = #"{"config":{"Entrypoint":null,"Cmd":["/app"],"Env":null,"Labels":null},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let result = try rewriter().rewrite(try config(text), image: "app").config
        #expect(result.entrypoint == ["/agent/run", "--flag"])
        #expect(result.cmd == ["/app"])
        let bare = #"{"config":null,"rootfs":{"type":"layers","diff_ids":[]}}"#
        #expect(throws: PatchError.noEntrypoint(image: "app")) { try rewriter().rewrite(try config(bare), image: "app") }
    }

    @Test func everyEntryOfAReplacedNameIsRemoved() throws {
        let text =
            #"{"config":{"Entrypoint":["/app"],"Env":["FALCONCTL_OPTS=a","PATH=/bin","FALCONCTL_OPTS=b","FALCONCTL_OPTS","FALCONCTL_OPTSX=keep"]},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let env = try rewriter().rewrite(try config(text), image: "app").config.env
        #expect(Array(env.prefix(3)) == ["FALCONCTL_OPTS=--cid=0123456789abcdef0123456789abcdef-12", "PATH=/bin", "FALCONCTL_OPTSX=keep"])
        #expect(env.filter { $0.hasPrefix("FALCONCTL_OPTS=") || $0 == "FALCONCTL_OPTS" }.count == 1)
    }

    @Test("repatching an image with 100k labels of imagepatch's prefix removes them all and keeps the others in order")
    func repatchManyPrefixedLabels() throws {
        var labels = JSONObject()
        for i in 0..<100_000 {
            labels[i.isMultiple(of: 2) ? "\(PatchLabels.prefix)x\(i)" : "keep.\(i)"] = .string("\(i)")
        }
        let once = try rewriter().rewrite(try config(Self.original), image: "app").config
        var patched = once
        var runtime = patched.runtime
        var merged = labels
        for (key, value) in runtime["Labels"]?.objectValue ?? JSONObject() { merged[key] = value }
        runtime["Labels"] = .object(merged)
        patched.json["config"] = .object(runtime)
        let twice = try rewriter(repatch: true).rewrite(patched, image: "app").config
        let kept = twice.labels.map(\.0).filter { !$0.hasPrefix(PatchLabels.prefix) }
        #expect(kept.count == 50_001)
        #expect(kept.first == "keep.1")
        #expect(kept.dropFirst().prefix(2) == ["keep.3", "keep.5"])
        #expect(
            twice.labels.filter { $0.0.hasPrefix(PatchLabels.prefix) }.count == 9,
            "the labels of one patch: agent, its digest, preset, layer (diff_id, key, digest, size), launcher, original entrypoint")
    }

    @Test func cmdOnlyImageGetsTheLauncherAsEntrypoint() throws {
        let text = #"{"config":{"Cmd":["/app/run.sh","hello"],"User":"1000:1000"},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let result = try rewriter().rewrite(try config(text), image: "app").config
        #expect(result.entrypoint == ["/agent/run", "--flag"])
        #expect(result.cmd == ["/app/run.sh", "hello"])
        #expect(result.user == "1000:1000")
    }
}

@Suite("Launcher lookup in the agent layer")
struct AgentLayerLookupTests {
    /// A merged-/usr agent: lib64 and bin are links into usr, relative and absolute.
    static func layer() throws -> AgentLayer {
        let install = "opt/CrowdStrike/rootfs"
        let paths = Set(
            [
                "opt", "opt/CrowdStrike", install, "\(install)/usr", "\(install)/usr/lib64",
                "\(install)/usr/lib64/ld-linux-x86-64.so.2", "\(install)/usr/bin", "\(install)/usr/bin/bash",
                "\(install)/lib64", "\(install)/bin", "\(install)/loop", "\(install)/out",
            ].map { BytePath($0) })
        return AgentLayer(
            file: "/nonexistent", format: .oci(.gzip), digest: Digest(hex: String(repeating: "a", count: 64)),
            size: 1, diffID: Digest(hex: String(repeating: "b", count: 64)), paths: paths,
            symlinks: [
                BytePath("\(install)/lib64"): "usr/lib64", BytePath("\(install)/bin"): "/\(install)/usr/bin",
                BytePath("\(install)/loop"): "loop", BytePath("\(install)/out"): "/etc",
            ],
            files: nil, storage: try TemporaryDirectory())
    }

    @Test(
        "paths resolve through the layer's own links",
        arguments: [
            ("/opt/CrowdStrike/rootfs/lib64/ld-linux-x86-64.so.2", true),
            ("/opt/CrowdStrike/rootfs/bin/bash", true),
            ("/opt/CrowdStrike/rootfs/usr/bin/bash", true),
            ("/opt/CrowdStrike/rootfs/bin/sh", false),
            ("/opt/CrowdStrike/rootfs/loop/x", false),
            ("/opt/CrowdStrike/rootfs/out/passwd", false),
        ])
    func lookup(path: String, expected: Bool) throws {
        #expect(try Self.layer().contains(path) == expected)
    }
}
