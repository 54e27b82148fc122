import ImagePatch
import ImagePatchTestSupport
import OCI
import Testing

/// One point of the grid: the source's media types and shape, what the destination can hold, and
/// whether the run is a dry run or a repatch of an image patched before. The agent varies along the
/// grid so that each preset meets every shape.
struct EngineCase: CustomStringConvertible, Sendable {
    var family: MediaTypeFamily
    var asIndex: Bool
    var canHoldIndex: Bool
    var dryRun: Bool
    var repatch: Bool
    var agent: TestAgent

    var description: String {
        "\(family) \(asIndex ? "index" : "manifest")\(canHoldIndex ? "" : " into a one-image destination")"
            + "\(dryRun ? " dry-run" : "")\(repatch ? " repatch" : "") with \(agent)"
    }

    static let all: [EngineCase] = {
        var cases: [EngineCase] = []
        for family in [MediaTypeFamily.oci, .docker] {
            for asIndex in [false, true] {
                for canHoldIndex in [true, false] {
                    for dryRun in [false, true] {
                        for repatch in [false, true] {
                            cases.append(
                                EngineCase(
                                    family: family, asIndex: asIndex, canHoldIndex: canHoldIndex, dryRun: dryRun,
                                    repatch: repatch, agent: TestAgent.all[cases.count % TestAgent.all.count]))
                        }
                    }
                }
            }
        }
        return cases
    }()
}

@Suite("Engine in memory: the patch grid")
struct PatchEngineTests {
    /// The source of a case: the application image, or (repatch) that image patched before with
    /// another agent, read back from the destination it was committed to.
    static func source(_ harness: EngineHarness, _ engineCase: EngineCase) async throws -> InMemoryImageSource {
        guard engineCase.repatch else { return harness.source }
        let first = try EngineHarness(family: engineCase.family, asIndex: engineCase.asIndex, agent: earlierAgent(engineCase))
        let destination = RecordingDestination()
        _ = try await first.patch(into: destination, first.options())
        return try #require(destination.committedImage(reference: "memory:app-patched"))
    }

    static func earlierAgent(_ engineCase: EngineCase) -> TestAgent {
        engineCase.agent.description == TestAgent.falcon.description ? .lacework : .falcon
    }

    @Test(
        "a run writes exactly the patched image; a dry run writes nothing; an index meets a one-image destination only to be refused",
        arguments: EngineCase.all)
    func patch(_ engineCase: EngineCase) async throws {
        let harness = try EngineHarness(family: engineCase.family, asIndex: engineCase.asIndex, agent: engineCase.agent)
        let source = try await Self.source(harness, engineCase)
        let destination = RecordingDestination(canHoldIndex: engineCase.canHoldIndex)
        let options = harness.options(repatch: engineCase.repatch, dryRun: engineCase.dryRun)

        if engineCase.asIndex && !engineCase.canHoldIndex {
            await #expect(throws: PatchError.self) { try await harness.patch(source, into: destination, options) }
            #expect(destination.calls == [.abort], "the refusal came after work: \(destination.calls)")
            return
        }
        let result = try await harness.patch(source, into: destination, options)
        if engineCase.dryRun {
            #expect(!result.written && !result.upToDate)
            #expect(destination.committedRoot == nil)
            #expect(destination.blobs.isEmpty && destination.manifests.isEmpty)
            #expect(
                destination.calls.allSatisfy {
                    switch $0 {
                    case .currentRootDigest, .plannedAction, .abort: true
                    default: false
                    }
                }, "a dry run wrote: \(destination.calls)")
            #expect(destination.calls.last == .abort)
            // What a dry run plans is what a run writes: the same image, blob for blob.
            let real = RecordingDestination(canHoldIndex: engineCase.canHoldIndex)
            let written = try await harness.patch(source, into: real, harness.options(repatch: engineCase.repatch))
            #expect(written.root.digest == result.root.digest)
            #expect(Set(result.plannedBlobs.map(\.digest)) == Set(real.blobs.keys))
            #expect(result.plannedBlobs.allSatisfy { $0.action == .upload })
            return
        }
        var check = PatchedImageCheck(harness: harness, destination: destination)
        if engineCase.repatch { check.earlierAgent = Self.earlierAgent(engineCase) }
        try check.check(result, expectIndex: engineCase.asIndex)
    }

    @Test("a one-image destination takes one platform of an index, as a single manifest", arguments: [MediaTypeFamily.oci, .docker])
    func onePlatformOfIndex(_ family: MediaTypeFamily) async throws {
        let harness = try EngineHarness(family: family, asIndex: true)
        let destination = RecordingDestination(canHoldIndex: false)
        let result = try await harness.patch(into: destination, harness.options(platforms: [EngineHarness.platforms[1]]))
        #expect(result.platforms.map(\.platform) == [EngineHarness.platforms[1]])
        let root = try #require(destination.committedRoot)
        #expect(root.mediaType == family.manifest)
        #expect(root.digest == result.platforms[0].digest)
        #expect(!destination.calls.contains { if case .putManifest(let digest) = $0 { digest != root.digest } else { false } })
    }

    @Test("patching a patched image without --repatch is refused before anything is written", arguments: [MediaTypeFamily.oci, .docker])
    func alreadyPatched(_ family: MediaTypeFamily) async throws {
        let harness = try EngineHarness(family: family, asIndex: true)
        let first = RecordingDestination()
        _ = try await harness.patch(into: first, harness.options())
        let patched = try #require(first.committedImage(reference: "memory:app-patched"))
        let destination = RecordingDestination()
        let error = await #expect(throws: PatchError.self) { try await harness.patch(patched, into: destination, harness.options()) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("memory:app-patched"))
        #expect(destination.calls == [.abort])
    }

    @Test("a target that already is the patched image is left alone", arguments: [false, true])
    func upToDate(_ asIndex: Bool) async throws {
        let harness = try EngineHarness(family: .oci, asIndex: asIndex)
        let first = RecordingDestination()
        let patched = try await harness.patch(into: first, harness.options())
        let destination = RecordingDestination(currentRoot: patched.root.digest)
        let result = try await harness.patch(into: destination, harness.options())
        #expect(result.upToDate && !result.written)
        #expect(result.root.digest == patched.root.digest)
        #expect(destination.calls == [.currentRootDigest])
    }
}
