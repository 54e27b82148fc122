import ImagePatch
import ImagePatchTestSupport
import OCI
import Testing

/// A destination failing at one step of a run.
struct FailureCase: CustomStringConvertible, Sendable {
    var family: MediaTypeFamily
    var asIndex: Bool
    var dryRun: Bool
    var step: RecordingDestination.Step

    var description: String { "\(family) \(asIndex ? "index" : "manifest")\(dryRun ? " dry-run" : ""), failing at \(step)" }

    /// A single manifest has 4 blobs (2 base layers, the agent layer, the config); an index of two
    /// platforms 7 (a shared base layer, then two of each other kind) and two platform manifests.
    static func blobCount(asIndex: Bool) -> Int { asIndex ? 7 : 4 }

    static let all: [FailureCase] = {
        var cases: [FailureCase] = []
        for family in [MediaTypeFamily.oci, .docker] {
            for asIndex in [false, true] {
                let blobs = blobCount(asIndex: asIndex)
                var steps: [RecordingDestination.Step] = [
                    .currentRootDigest, .hasBlob(nth: 1), .hasBlob(nth: blobs),
                    .putBlob(nth: 1), .putBlob(nth: 2), .putBlob(nth: blobs),
                    .putManifest(nth: 1), .commit,
                ]
                if asIndex { steps.append(.putManifest(nth: 2)) }
                cases += steps.map { FailureCase(family: family, asIndex: asIndex, dryRun: false, step: $0) }
                cases += [RecordingDestination.Step.currentRootDigest, .plannedAction(nth: 1), .plannedAction(nth: blobs)].map {
                    FailureCase(family: family, asIndex: asIndex, dryRun: true, step: $0)
                }
            }
        }
        return cases
    }()
}

@Suite("Engine in memory: a destination that fails")
struct DestinationFailureTests {
    @Test("a failure at any step commits nothing, aborts, and reaches the caller as it was", arguments: FailureCase.all)
    func failureAtEachStep(_ failure: FailureCase) async throws {
        let harness = try EngineHarness(family: failure.family, asIndex: failure.asIndex)
        let destination = RecordingDestination(failOn: failure.step)
        let error = await #expect(throws: RecordingDestination.InjectedFailure.self) {
            try await harness.patch(into: destination, harness.options(dryRun: failure.dryRun, jobs: 2))
        }
        #expect(error?.step == failure.step)
        #expect(destination.committedRoot == nil)
        #expect(destination.calls.last == .abort, "\(destination.calls)")
        #expect(destination.calls.filter { $0 == .abort }.count == 1)
        // Abort throws away what was staged: nothing of the run is left.
        #expect(destination.blobs.isEmpty && destination.manifests.isEmpty)
        let calls = destination.calls
        switch failure.step {
        case .putBlob, .hasBlob, .currentRootDigest, .plannedAction:
            #expect(!calls.contains { if case .putManifest = $0 { true } else { false } }, "\(calls)")
            #expect(!calls.contains { if case .commit = $0 { true } else { false } }, "\(calls)")
        case .putManifest(let nth):
            #expect(calls.filter { if case .putManifest = $0 { true } else { false } }.count == nth, "\(calls)")
            #expect(!calls.contains { if case .commit = $0 { true } else { false } }, "\(calls)")
        case .commit:
            break
        }
    }

    /// The grid above is only worth something if each step it fails at is reached by a run that works.
    @Test("every step the failure grid names is reached by a run that succeeds", arguments: FailureCase.all)
    func everyStepIsReached(_ failure: FailureCase) async throws {
        let harness = try EngineHarness(family: failure.family, asIndex: failure.asIndex)
        let destination = RecordingDestination()
        _ = try await harness.patch(into: destination, harness.options(dryRun: failure.dryRun, jobs: 2))
        let calls = destination.calls
        func count(_ matches: (RecordingDestination.Call) -> Bool) -> Int { calls.filter(matches).count }
        switch failure.step {
        case .currentRootDigest: #expect(count { $0 == .currentRootDigest } == 1)
        case .hasBlob(let nth):
            #expect(count { if case .hasBlob = $0 { true } else { false } } == FailureCase.blobCount(asIndex: failure.asIndex) && nth >= 1)
        case .plannedAction(let nth): #expect(count { if case .plannedAction = $0 { true } else { false } } >= nth)
        case .putBlob(let nth): #expect(count { if case .putBlob = $0 { true } else { false } } >= nth)
        case .putManifest(let nth): #expect(count { if case .putManifest = $0 { true } else { false } } >= nth)
        case .commit: #expect(count { if case .commit = $0 { true } else { false } } == 1)
        }
    }
}
