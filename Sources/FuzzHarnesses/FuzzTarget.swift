import Dispatch

/// One fuzz target: a function of arbitrary bytes that must never trap, hang or leak, and that
/// throws `FuzzPropertyViolation` when the code under test breaks one of its own promises (a round
/// trip that changes a value, a patch that is not idempotent…). Errors the code under test throws
/// for bad input are the expected outcome and are swallowed by the harness.
///
/// The same bodies run under libFuzzer (`imagepatch-fuzz`, built by `scripts/fuzz`) and in the
/// normal test suite (`FuzzReplayTests` replays every committed corpus and regression input).
public struct FuzzTarget: Sendable {
    public let name: String
    public let summary: String
    /// The largest input worth generating (libFuzzer's `-max_len`).
    public let maxInputBytes: Int
    public let run: @Sendable ([UInt8]) throws -> Void

    public static let all: [FuzzTarget] = {
        var targets = [
            FuzzTarget(name: "json", summary: "JSON parse → serialize → parse gives the same value; serializing is stable",
                       maxInputBytes: 4096, run: JSONHarness.run),
            FuzzTarget(name: "docker-reference", summary: "Docker reference parsing; the normal form parses to itself",
                       maxInputBytes: 2048, run: DockerReferenceHarness.run),
            FuzzTarget(name: "manifest", summary: "manifest and index decoding (ManifestDocument, Descriptor)",
                       maxInputBytes: 8192, run: ManifestHarness.run),
            FuzzTarget(name: "image-config", summary: "image config decoding (ImageConfig and its accessors)",
                       maxInputBytes: 8192, run: ImageConfigHarness.run),
            FuzzTarget(name: "agent-layer", summary: "tar reader, union filesystem and agent tree selection on 1–3 small layers",
                       maxInputBytes: 16384, run: AgentLayerHarness.run),
            FuzzTarget(name: "taskdef-sidecar", summary: "task-definition sidecar patching (offline); a second run changes nothing",
                       maxInputBytes: 8192, run: TaskDefinitionHarness.run),
        ]
        #if DEBUG
        // These call internal entry points through `@testable import`, which needs modules built for
        // testing: debug builds (the test suite, and `scripts/fuzz`).
        targets += [
            FuzzTarget(name: "auth-challenge", summary: "WWW-Authenticate challenge parsing",
                       maxInputBytes: 2048, run: AuthChallengeHarness.run),
            FuzzTarget(name: "docker-archive-manifest", summary: "the manifest.json of a docker-archive (docker save) file",
                       maxInputBytes: 4096, run: DockerArchiveManifestHarness.run),
        ]
        #endif
        return targets.sorted { $0.name < $1.name }
    }()

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// The code under test broke a promise it makes for every input.
public struct FuzzPropertyViolation: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Checks a property of the code under test.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw FuzzPropertyViolation(message()) }
}

/// Runs async code from the synchronous fuzzer callback. Nothing it runs waits on I/O (the
/// harnesses feed everything from memory), so blocking this thread costs no more than the work.
func runBlocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
