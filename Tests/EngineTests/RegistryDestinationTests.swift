import HTTP
import IOFoundation
import ImagePatch
import ImagePatchTestSupport
import OCI
import Registry
import Testing

/// `RegistryDestination`'s branches, request by request, against `ScriptedRegistry`.
@Suite("Engine in memory: RegistryDestination over scripted HTTP")
struct RegistryDestinationTests {
    static let bytes: [UInt8] = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    static let descriptor = Descriptor(mediaType: MediaType.ociLayerGzip, digest: .sha256(of: bytes), size: Int64(bytes.count))
    static var digest: Digest { descriptor.digest }
    static let target = "\(ScriptedRegistry.host)/app:patched"

    static func origin(from source: (any ImageSource)? = nil) -> BlobOrigin {
        BlobOrigin(source: source) { MemoryReader(bytes) }
    }

    @Test("HEAD answers whether the repository holds a blob", arguments: [true, false])
    func hasBlob(_ present: Bool) async throws {
        let registry = ScriptedRegistry(blobs: present ? ["app": [Self.bytes]] : [:])
        let destination = try await scriptedTransport(registry.http).destination(Self.target)
        #expect(try await destination.hasBlob(Self.descriptor) == present)
        #expect(registry.exchanges == ["HEAD /v2/app/blobs/\(Self.digest)"])
    }

    /// One way a blob reaches the target repository, and the requests it takes.
    enum Branch: String, CaseIterable, CustomStringConvertible, Sendable {
        case upload, mount, mountDeclined, sameRepositoryUploads, retriedAfter500, retriedAfterDroppedConnection, retriedAfter429
        var description: String { rawValue }
    }

    @Test(
        "a blob is mounted from another repository of the registry, or uploaded in a session that starts over when it fails",
        arguments: Branch.allCases)
    func putBlob(_ branch: Branch) async throws {
        let d = Self.digest
        let registry = ScriptedRegistry(
            blobs: branch == .mount ? ["base": [Self.bytes]] : [:],
            fault: { request, _ in
                guard request.method == "PUT", request.url.contains("/blobs/uploads/session-1") else { return nil }
                switch branch {
                case .retriedAfter500: return .init(status: 500)
                case .retriedAfter429: return .init(status: 429, headers: [("Retry-After", "0")])
                case .retriedAfterDroppedConnection:
                    if case .stream(_, let read) = request.body {  // part of the body goes out, then the connection drops
                        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
                        defer { chunk.deallocate() }
                        _ = try read(chunk)
                    }
                    throw HTTPError.transport(
                        host: ScriptedRegistry.host, message: "Send failure: Connection reset by peer", retryable: true)
                default: return nil
                }
            })
        let transport = scriptedTransport(registry.http)
        let destination = try await transport.destination(Self.target)
        let origin: BlobOrigin
        switch branch {
        case .mount, .mountDeclined: origin = Self.origin(from: try await transport.source("\(ScriptedRegistry.host)/base:1"))
        case .sameRepositoryUploads: origin = Self.origin(from: try await transport.source("\(ScriptedRegistry.host)/app:1"))
        default: origin = Self.origin()
        }
        try await destination.putBlob(Self.descriptor, from: origin)

        let mount = "POST /v2/app/blobs/uploads/?mount=\(d)&from=base"
        let session = { (n: Int) in ["POST /v2/app/blobs/uploads/", "PUT /v2/app/blobs/uploads/session-\(n)?digest=\(d)"] }
        let expected: [String] =
            switch branch {
            case .upload, .sameRepositoryUploads: session(1)
            case .mount: [mount]
            case .mountDeclined: [mount, "PUT /v2/app/blobs/uploads/session-1?digest=\(d)"]
            case .retriedAfter500, .retriedAfterDroppedConnection, .retriedAfter429: session(1) + session(2)
            }
        #expect(registry.exchanges == expected)
        #expect(registry.blob(d, in: "app") == Self.bytes)
        #expect(destination.uploadedBytes == (branch == .mount ? 0 : Int64(Self.bytes.count)))
    }

    @Test("a refused upload is not retried, and a registry that stores other bytes is caught")
    func refusedAndMismatched() async throws {
        let refused = ScriptedRegistry(fault: { request, _ in
            request.method == "PUT" ? ScriptedHTTP.json(#"{"errors":[{"code":"DENIED","message":"no push"}]}"#, status: 403) : nil
        })
        let destination = try await scriptedTransport(refused.http).destination(Self.target)
        let error = await #expect(throws: RegistryError.self) { try await destination.putBlob(Self.descriptor, from: Self.origin()) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("DENIED"))
        #expect(refused.exchanges == ["POST /v2/app/blobs/uploads/", "PUT /v2/app/blobs/uploads/session-1?digest=\(Self.digest)"])

        let other = Digest.sha256(of: [1, 2, 3])
        let lying = ScriptedRegistry(fault: { request, _ in
            request.method == "PUT" ? .init(status: 201, headers: [("Docker-Content-Digest", other.description)]) : nil
        })
        let lied = try await scriptedTransport(lying.http).destination(Self.target)
        await #expect(throws: RegistryError.self) { try await lied.putBlob(Self.descriptor, from: Self.origin()) }
        await #expect(throws: RegistryError.self) {
            try await lied.putManifest(ManifestBlob(bytes: Array("{}".utf8), mediaType: MediaType.ociManifest))
        }
        #expect(lying.exchanges.count == 3)
    }

    @Test("manifests go by digest and the tag moves at commit only")
    func manifestsThenTag() async throws {
        let registry = ScriptedRegistry()
        let destination = try await scriptedTransport(registry.http).destination(Self.target)
        let manifest = ManifestBlob(bytes: Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.ociManifest)
        let index = ManifestBlob(bytes: Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8), mediaType: MediaType.ociIndex)
        #expect(try await destination.currentRootDigest() == nil)
        try await destination.putManifest(manifest)
        #expect(registry.manifest("patched", in: "app") == nil)
        try await destination.commit(root: index)
        #expect(registry.manifest("patched", in: "app")?.bytes == index.bytes)
        #expect(registry.manifest("patched", in: "app")?.mediaType == MediaType.ociIndex)
        #expect(try await destination.currentRootDigest() == index.digest)
        #expect(
            registry.exchanges == [
                "GET /v2/app/manifests/patched", "PUT /v2/app/manifests/\(manifest.digest)",
                "PUT /v2/app/manifests/patched", "GET /v2/app/manifests/patched",
            ])
    }

    @Test(
        "the engine pushes through RegistryDestination: base layers it holds are skipped, the rest uploaded, the tag last",
        arguments: [MediaTypeFamily.oci, .docker])
    func engineRun(_ family: MediaTypeFamily) async throws {
        let harness = try EngineHarness(family: family, asIndex: true)
        let registry = ScriptedRegistry(blobs: ["app": harness.application.images.flatMap { $0.layers.map(\.blob) }])
        let destination = try await scriptedTransport(registry.http).destination(Self.target)
        let result = try await harness.run(destination: destination, options: harness.options(jobs: 1))

        let configs = try EngineHarness.configDigests(of: result, in: registry)
        // Every blob once, in the engine's order (by digest): a HEAD, then a session for the missing.
        var expected = ["GET /v2/app/manifests/patched", "GET /v2/app/manifests/patched"]
        var sessions = 0
        for digest in harness.baseLayers.union(result.platforms.map(\.agentLayer.digest)).union(configs).sorted() {
            expected.append("HEAD /v2/app/blobs/\(digest)")
            if !harness.baseLayers.contains(digest) {
                sessions += 1
                expected += ["POST /v2/app/blobs/uploads/", "PUT /v2/app/blobs/uploads/session-\(sessions)?digest=\(digest)"]
            }
        }
        expected += result.platforms.map { "PUT /v2/app/manifests/\($0.digest)" } + ["PUT /v2/app/manifests/patched"]
        #expect(registry.exchanges == expected)
        #expect(registry.manifest("patched", in: "app")?.digest == result.root.digest)
        for platform in result.platforms {
            #expect(registry.blob(platform.agentLayer.digest, in: "app").map { Digest.sha256(of: $0) } == platform.agentLayer.digest)
        }
        #expect(
            destination.uploadedBytes == result.platforms.reduce(0) { $0 + $1.agentLayer.size }
                + configs.reduce(0) { $0 + Int64(registry.blob($1, in: "app")?.count ?? 0) })

        // Run again: the tag already names the patched image, so nothing is written.
        let before = registry.exchanges.count
        let again = try await harness.run(destination: destination, options: harness.options(jobs: 1))
        #expect(again.upToDate && !again.written)
        #expect(
            registry.exchanges.dropFirst(before).allSatisfy { $0.hasPrefix("GET ") || $0.hasPrefix("HEAD ") },
            "\(registry.exchanges.dropFirst(before))")
    }
}

extension RegistryDestinationTests {
    @Test(
        "a source on the same registry: the engine mounts its base layers instead of moving their bytes",
        arguments: [MediaTypeFamily.oci, .docker])
    func engineMountsBaseLayers(_ family: MediaTypeFamily) async throws {
        let harness = try EngineHarness(family: family, asIndex: true)
        let registry = ScriptedRegistry(holding: harness.application, in: "base", tag: "1")
        let transport = scriptedTransport(registry.http)
        let source = try await transport.source("\(ScriptedRegistry.host)/base:1")
        let destination = try await transport.destination(Self.target)
        let result = try await RegistryDestinationTests.patch(harness, source: source, destination: destination)

        let configs = try EngineHarness.configDigests(of: result, in: registry)
        var expected = ["GET /v2/app/manifests/patched", "GET /v2/app/manifests/patched"]
        var sessions = 0
        for digest in harness.baseLayers.union(result.platforms.map(\.agentLayer.digest)).union(configs).sorted() {
            expected.append("HEAD /v2/app/blobs/\(digest)")
            if harness.baseLayers.contains(digest) {
                expected.append("POST /v2/app/blobs/uploads/?mount=\(digest)&from=base")
            } else {
                sessions += 1
                expected += ["POST /v2/app/blobs/uploads/", "PUT /v2/app/blobs/uploads/session-\(sessions)?digest=\(digest)"]
            }
        }
        expected += result.platforms.map { "PUT /v2/app/manifests/\($0.digest)" } + ["PUT /v2/app/manifests/patched"]
        #expect(registry.exchanges.filter { $0.contains(" /v2/app/") } == expected)
        // The base layers' bytes never left the registry.
        for digest in harness.baseLayers {
            #expect(!registry.exchanges.contains("GET /v2/base/blobs/\(digest)"))
            #expect(registry.blob(digest, in: "app") != nil)
        }
        #expect(registry.manifest("patched", in: "app")?.digest == result.root.digest)
    }

    @Test("a second target on the same registry mounts the agent layers the engine wrote for the first")
    func agentLayersMountedForNextTarget() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: true)
        let registry = ScriptedRegistry()
        let transport = scriptedTransport(registry.http)
        let first = try await harness.run(destination: try await transport.destination(Self.target), options: harness.options(jobs: 1))
        let before = registry.exchanges.count
        let second = try await harness.run(
            destination: try await transport.destination("\(ScriptedRegistry.host)/other:patched"),
            options: harness.options(jobs: 1))
        let exchanges = Array(registry.exchanges.dropFirst(before))
        for layer in Set(second.platforms.map(\.agentLayer.digest)) {
            #expect(first.platforms.contains { $0.agentLayer.digest == layer })
            #expect(exchanges.contains("POST /v2/other/blobs/uploads/?mount=\(layer)&from=app"), "\(exchanges)")
            #expect(!exchanges.contains { $0.hasPrefix("PUT ") && $0.hasSuffix("digest=\(layer)") }, "\(exchanges)")
            #expect(registry.blob(layer, in: "other") != nil)
        }
        // The base layers came from memory, not from a repository of this registry: uploaded.
        for digest in harness.baseLayers {
            #expect(exchanges.contains { $0.hasPrefix("PUT /v2/other/blobs/uploads/") && $0.hasSuffix("digest=\(digest)") })
        }
    }

    static func patch(_ harness: EngineHarness, source: any ImageSource, destination: any ImageDestination) async throws -> PatchResult {
        try await harness.engine.patch(
            source: source, agent: harness.agentSource, destination: destination,
            options: harness.options(jobs: 1))
    }
}

extension EngineHarness {
    func run(destination: any ImageDestination, options: PatchOptions) async throws -> PatchResult {
        try await engine.patch(source: source, agent: agentSource, destination: destination, options: options)
    }

    /// The config digests of the pushed platform manifests, read back from the scripted registry.
    static func configDigests(of result: PatchResult, in registry: ScriptedRegistry) throws -> [Digest] {
        try result.platforms.map { platform in
            let manifest = try #require(registry.manifest(platform.digest.description, in: "app"))
            return try Digest(parsing: try #require(try object(manifest.bytes)["config"]?["digest"]?.stringValue))
        }
    }
}
