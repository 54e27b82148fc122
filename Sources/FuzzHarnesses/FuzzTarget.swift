import Dispatch
import Synchronization

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
            FuzzTarget(
                name: "json", summary: "JSON parse → serialize → parse gives the same value; serializing is stable",
                maxInputBytes: 4096, run: { try JSONHarness.run($0) }),
            FuzzTarget(
                name: "docker-reference", summary: "Docker reference parsing; the normal form parses to itself",
                maxInputBytes: 2048, run: { try DockerReferenceHarness.run($0) }),
            FuzzTarget(
                name: "manifest", summary: "manifest and index decoding (ManifestDocument, Descriptor)",
                maxInputBytes: 8192, run: { try ManifestHarness.run($0) }),
            FuzzTarget(
                name: "image-config", summary: "image config decoding (ImageConfig and its accessors)",
                maxInputBytes: 8192, run: { try ImageConfigHarness.run($0) }),
            FuzzTarget(
                name: "agent-layer", summary: "tar reader, union filesystem and agent tree selection on 1–3 small layers",
                maxInputBytes: 16384, run: { try AgentLayerHarness.run($0) }),
            FuzzTarget(
                name: "taskdef-sidecar", summary: "task-definition sidecar patching (offline); a second run changes nothing",
                maxInputBytes: 8192, run: { try TaskDefinitionHarness.run($0) }),
            FuzzTarget(
                name: "cosign-signature", summary: "a .sig tag's manifest (untrusted) with a signature added; a second add adds nothing",
                maxInputBytes: 4096, run: { try CosignSignatureHarness.run($0) }),
            FuzzTarget(
                name: "referrers-index",
                summary: "a referrers index (fallback tag or API) listed and updated; a second update changes nothing",
                maxInputBytes: 4096, run: { try ReferrersIndexHarness.run($0) }),
            FuzzTarget(
                name: "dsse-envelope", summary: "DSSE envelope parsing; written again it parses to the same envelope",
                maxInputBytes: 4096, run: { try DSSEEnvelopeHarness.run($0) }),
            FuzzTarget(
                name: "signing-key", summary: "--sign-key files (PEM, encrypted PKCS#8, cosign's scrypt format) with a fixed passphrase",
                maxInputBytes: 4096, run: { try SigningKeyHarness.run($0) }),
        ]
        #if DEBUG
            // These call internal entry points through `@testable import`, which needs modules built for
            // testing: debug builds (the test suite, and `scripts/fuzz`).
            targets += [
                FuzzTarget(
                    name: "auth-challenge", summary: "WWW-Authenticate challenge parsing",
                    maxInputBytes: 2048, run: { try AuthChallengeHarness.run($0) }),
                FuzzTarget(
                    name: "docker-archive-manifest", summary: "the manifest.json of a docker-archive (docker save) file",
                    maxInputBytes: 4096, run: { try DockerArchiveManifestHarness.run($0) }),
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
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        box.result.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try box.result.withLock({ $0 })!.get()
}

private final class ResultBox<T: Sendable>: Sendable {
    let result = Mutex<Result<T, Error>?>(nil)
}
