import ImagePatch
import ImagePatchTestSupport
import OCI
import Testing

@Suite("Engine in memory: blob transfers")
struct TransferTests {
    @Test("blobs in flight never exceed --jobs, and reach it when there is enough to do", arguments: [1, 2, 3, 8])
    func concurrencyBoundedByJobs(_ jobs: Int) async throws {
        // 6 base layers, the agent layer and the config: 8 blobs.
        let harness = try EngineHarness(family: .oci, asIndex: false, baseLayers: 6)
        let destination = RecordingDestination(holdPutBlobs: jobs)
        _ = try await harness.patch(into: destination, harness.options(jobs: jobs))
        #expect(destination.calls.filter { if case .putBlob = $0 { true } else { false } }.count == 8)
        #expect(destination.maxConcurrentPutBlobs == min(jobs, 8))
    }

    @Test("base layers the destination holds are neither read nor written again", arguments: [MediaTypeFamily.oci, .docker])
    func presentBaseLayersSkipped(_ family: MediaTypeFamily) async throws {
        let harness = try EngineHarness(family: family, asIndex: true)
        let destination = RecordingDestination(existingBlobs: harness.baseLayers)
        let result = try await harness.patch(into: destination, harness.options())
        var check = PatchedImageCheck(harness: harness, destination: destination)
        check.existing = harness.baseLayers
        try check.check(result, expectIndex: true)
        for digest in harness.baseLayers {
            #expect(!destination.calls.contains(.putBlob(digest)))
            #expect(destination.calls.filter { $0 == .hasBlob(digest) }.count == 1, "asked more than once about \(digest)")
            #expect(harness.source.timesOpened(digest) == 0, "base layer \(digest) was read")
        }
        // What was written: one agent layer and one config per platform, nothing else.
        var configs: Set<Digest> = []
        for platform in result.platforms {
            let manifest = try #require(destination.manifests[platform.digest])
            configs.insert(try Digest(parsing: try #require(try object(manifest.bytes)["config"]?["digest"]?.stringValue)))
        }
        #expect(Set(destination.blobs.keys) == Set(result.platforms.map(\.agentLayer.digest)).union(configs))
    }

    @Test("a dry run says which blobs are present and which would be uploaded")
    func dryRunPlan() async throws {
        let harness = try EngineHarness(family: .docker, asIndex: true)
        let destination = RecordingDestination(existingBlobs: harness.baseLayers)
        let result = try await harness.patch(into: destination, harness.options(dryRun: true))
        #expect(destination.committedRoot == nil && destination.blobs.isEmpty)
        let present = Set(result.plannedBlobs.filter { $0.action == .present }.map(\.digest))
        #expect(present == harness.baseLayers)
        // Each platform's agent layer and config.
        #expect(result.plannedBlobs.filter { $0.action == .upload }.count == 4)
        #expect(result.json["status"]?.stringValue == "dry-run")
    }
}
