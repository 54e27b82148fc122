import Foundation
import Testing

/// Faults injected by a proxy in front of the real registry. With each one the run either succeeds
/// with a correct image (skopeo copies every platform, checking every digest) or fails with one
/// clear error line, and the target tag never points at a broken image.
@Suite("Registry: faults on the wire")
struct RegistryFaultTests {
    struct Fault: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let pathRegex: String
        let action: String
        let times: Int
        /// nil: must succeed; otherwise the run must fail with an error line containing this.
        let failureMentions: String?

        var testDescription: String { name }
        var json: [String: Any] {
            ["match": ["method": method, "path_regex": pathRegex], "action": action, "times": times]
        }
    }

    static let agentBlob = "/v2/agent/blobs/sha256:"
    static let faults: [Fault] = [
        Fault(name: "500 on a blob download", method: "GET", pathRegex: agentBlob, action: "status500", times: 1, failureMentions: nil),
        Fault(
            name: "503 twice on a blob download", method: "GET", pathRegex: agentBlob, action: "status503", times: 2, failureMentions: nil),
        Fault(name: "429 with Retry-After", method: "GET", pathRegex: agentBlob, action: "status429", times: 1, failureMentions: nil),
        Fault(
            name: "connection dropped mid-body", method: "GET", pathRegex: agentBlob, action: "drop_mid_body", times: 1,
            failureMentions: nil),
        Fault(name: "truncated blob", method: "GET", pathRegex: agentBlob, action: "truncate", times: 1, failureMentions: nil),
        Fault(
            name: "503 on the manifest request", method: "GET", pathRegex: "/v2/app/manifests/", action: "status503", times: 1,
            failureMentions: nil),
        Fault(
            name: "503 on starting an upload", method: "POST", pathRegex: "/blobs/uploads/$", action: "status503", times: 1,
            failureMentions: nil),
        Fault(
            name: "upload connection dropped", method: "PUT", pathRegex: "/blobs/uploads/", action: "drop_mid_body", times: 1,
            failureMentions: nil),
        Fault(name: "500 on the tag push", method: "PUT", pathRegex: "/manifests/1$", action: "status500", times: 1, failureMentions: nil),
        Fault(name: "empty reply to the API check", method: "GET", pathRegex: "^/v2/$", action: "close", times: 2, failureMentions: nil),
        Fault(name: "503 on the API check", method: "GET", pathRegex: "^/v2/$", action: "status503", times: 2, failureMentions: nil),
        Fault(name: "429 on the API check", method: "GET", pathRegex: "^/v2/$", action: "status429", times: 1, failureMentions: nil),
        Fault(name: "empty reply to a blob download", method: "GET", pathRegex: agentBlob, action: "close", times: 2, failureMentions: nil),
        Fault(
            name: "empty reply to the tag push", method: "PUT", pathRegex: "/manifests/1$", action: "close", times: 1, failureMentions: nil),
        Fault(
            name: "wrong bytes for a blob, once: fetched again", method: "GET", pathRegex: agentBlob, action: "wrong_digest", times: 1,
            failureMentions: nil),
        Fault(
            name: "one flipped byte in a blob, once: fetched again", method: "GET", pathRegex: agentBlob, action: "flip_byte", times: 1,
            failureMentions: nil),
        Fault(
            name: "wrong bytes for a blob every time", method: "GET", pathRegex: agentBlob, action: "wrong_digest", times: -1,
            failureMentions: "does not match its digest: expected sha256:"),
        Fault(
            name: "the tag push always fails", method: "PUT", pathRegex: "/manifests/1$", action: "status503", times: -1,
            failureMentions: "HTTP 503"),
        Fault(
            name: "registry refuses every upload", method: "PUT", pathRegex: "/blobs/uploads/", action: "status500", times: -1,
            failureMentions: "HTTP 500"),
    ]

    @Test("each fault ends in a correct image or one clear error, never a broken tag", arguments: faults)
    func fault(_ fault: Fault) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: registry)
        try await proxy.arm([fault.json])
        let repository = uniqueRepository("faults/app")
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
            target: "\(proxy.host)/\(repository):1", json: true)
        let injected = (try await proxy.statistics()["faults_injected"] as? [Any])?.count ?? 0
        #expect(injected > 0, "the fault was never triggered")

        if let mention = fault.failureMentions {
            Expect.oneLineError(run, mentions: [mention])
            #expect(try await registry.rawManifest("\(repository):1") == nil, "a failed run must not move the tag")
        } else {
            #expect(run.succeeded, "\(run)")
            let raw = try #require(try await registry.rawManifest("\(repository):1"))
            #expect(try Oracles.jsonObject(run.stdout)["digest"] as? String == sha256Digest(raw))
            try await TempDirectory.with("fault") { scratch in
                _ = try await registry.copyToLayout("\(repository):1", in: scratch)
            }
        }
    }

    /// Across registries a base layer streams from the source's response into the target's upload;
    /// a download that breaks mid-way breaks that upload, which starts over with a new stream.
    @Test(
        "across registries: a broken or corrupt base-layer download",
        arguments: [
            ("drop_mid_body", 1, nil as String?), ("truncate", 1, nil), ("close", 1, nil), ("wrong_digest", 1, nil),
            ("wrong_digest", -1, "does not match its digest"),
        ])
    func crossRegistryStreamFaults(action: String, times: Int, failureMentions: String?) async throws {
        let source = try await SharedRegistry.shared.plain()
        let proxy = try await FaultProxy.start(in: source)
        let base = try await SharedRegistry.baseLayerDigests().sorted()
        try await proxy.arm([["match": ["method": "GET", "path_regex": "/v2/app/blobs/\(base[0])"], "action": action, "times": times]])
        let target = try await RegistryServer.start(.plain, label: "cross-fault")
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/app:1", agent: "\(proxy.host)/agent:7",
            target: "\(target.host)/mirror/app:1")
        let injected = (try await proxy.statistics()["faults_injected"] as? [Any])?.count ?? 0
        #expect(injected > 0, "the fault was never triggered")
        if let failureMentions {
            Expect.oneLineError(run, mentions: [failureMentions])
            #expect(try await target.rawManifest("mirror/app:1") == nil)
        } else {
            #expect(run.succeeded, "\(run)")
            try await TempDirectory.with("cross-fault") { scratch in
                _ = try await target.copyToLayout("mirror/app:1", in: scratch)
            }
        }
        await target.stop()
    }

    @Test("blobs redirected to another host: no Authorization follows them there")
    func redirectKeepsCredentialsHome() async throws {
        let fixtures = try await Fixtures.ready()
        let registry = try await RegistryServer.start(.token, label: "redirect")
        defer { Task { await registry.stop() } }
        try await registry.push(layout: fixtures.oci("app-oci", "1"), as: "team/app:1")
        try await registry.push(layout: fixtures.oci("agent-oci", "7"), as: "vendor/agent:7")
        let proxy = try await FaultProxy.start(in: registry)
        try await proxy.arm([["match": ["method": "GET", "path_regex": "/blobs/sha256:"], "action": "redirect_other_host", "times": -1]])
        let run = try await ImagePatchCLI.patch(
            source: "\(proxy.host)/team/app:1", agent: "\(proxy.host)/vendor/agent:7",
            target: "\(proxy.host)/team/app:redirected",
            extra: ["--creds", "tester:\(registry.password!)"])
        #expect(run.succeeded, "\(run)")
        let stats = try await proxy.statistics()
        let redirectHost = stats["redirect_host"] as? [String: Any] ?? [:]
        #expect((redirectHost["requests"] as? Int ?? 0) > 0, "blobs were fetched from the other host")
        #expect(stats["authorization_seen_on_redirect_host"] as? Bool == false)
        #expect(try await registry.rawManifest("team/app:redirected") != nil)
        await registry.stop()
    }
}
