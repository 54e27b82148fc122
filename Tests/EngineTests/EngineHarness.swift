import Foundation
import GzipDecoding
import IOFoundation
import ImagePatch
import ImagePatchTestSupport
import JSON
import Logging
import OCI
import Tar
import Testing

/// One in-memory run of `PatchEngine`: the images, the destination and the engine.
struct EngineHarness {
    static let platforms = [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "arm64", variant: "v8")]

    /// The env and labels every run asks for: APP_MODE replaces the application's own in place.
    static let env = [("APP_MODE", "debug"), ("AGENT_TAG", "engine-tests")]
    static let labels = [("org.example.patched", "yes")]

    let application: TestImage
    let agentImage: TestImage
    let source: InMemoryImageSource
    let agentSource: InMemoryImageSource
    let agent: TestAgent
    /// An engine of its own: an engine remembers where it wrote agent layers, which must not leak
    /// from one test into another.
    let engine = PatchEngine(logger: Logger(label: "engine-tests", factory: { _ in SwiftLogNoOpLogHandler() }))

    init(family: MediaTypeFamily, asIndex: Bool, agent: TestAgent = .lacework, baseLayers: Int = 2) throws {
        let platforms = asIndex ? Self.platforms : [Self.platforms[0]]
        application = try TestImage.application(family: family, platforms: platforms, asIndex: asIndex, baseLayers: baseLayers)
        // The agent always comes as an index of both platforms: a single-platform source takes its match.
        agentImage = try agent.image(family: .oci, platforms: Self.platforms, asIndex: true)
        source = application.source("memory:app")
        agentSource = agentImage.source("memory:agent")
        self.agent = agent
    }

    func options(repatch: Bool = false, dryRun: Bool = false, jobs: Int = 4, platforms: [Platform] = []) -> PatchOptions {
        agent.options(repatch: repatch, dryRun: dryRun, jobs: jobs, platforms: platforms, env: Self.env, labels: Self.labels)
    }

    func patch(
        _ source: InMemoryImageSource? = nil, into destination: RecordingDestination,
        _ options: PatchOptions
    ) async throws -> PatchResult {
        try await engine.patch(source: source ?? self.source, agent: agentSource, destination: destination, options: options)
    }

    /// Every base-layer digest of the application image.
    var baseLayers: Set<Digest> { Set(application.images.flatMap { $0.layers.map(\.digest) }) }
}

/// A manifest or config read back from what the destination holds.
func object(_ bytes: [UInt8]) throws -> JSONObject {
    try #require(try JSONValue(parsing: bytes).objectValue)
}

func strings(_ value: JSONValue?) -> [String]? { value?.arrayValue?.compactMap(\.stringValue) }

/// The entries of a gzip tar blob, and the digest of its uncompressed bytes.
func gunzipTar(_ blob: [UInt8]) throws -> (paths: [String], diffID: Digest) {
    let decoder = try GzipDecoder(reading: MemoryReader(blob))
    let tar = try decoder.readAll(limit: 1 << 30, what: "test layer")
    let reader = try TarReader(reading: MemoryReader(tar), decompressing: false)
    var paths: [String] = []
    while let entry = try reader.nextEntry() { paths.append(entry.path) }
    return (paths, .sha256(of: tar))
}
