import JSON
import Logging

/// Answers one AdmissionReview: runs the pod through the mutator and returns the JSONPatch between
/// the pod as sent and the pod as mutated. A fault of ours (the mutator throws or runs out of time)
/// admits the pod unchanged with a warning: the injector never blocks a pod.
public struct AdmissionReviewer: Sendable {
    public enum Decision: String, Sendable {
        /// Admitted with a patch.
        case patched
        /// Admitted as is: opted out, already injected, or nothing to do.
        case unchanged
        /// Not a Pod creation: admitted as is without asking the mutator.
        case skipped
        /// The mutator failed: admitted as is, with a warning.
        case failed
        /// The mutator did not answer in time: admitted as is, with a warning.
        case timedOut = "timed-out"
    }

    public enum Outcome: Sendable {
        /// HTTP 200 with this AdmissionReview.
        case answer(JSONValue, Decision)
        /// HTTP 400 with this message.
        case malformed(String)
    }

    public let mutator: any PodMutating
    /// Under the API server's webhook timeout (5 s in the generated configuration).
    public let timeout: Duration
    public let logger: Logger

    public init(mutator: any PodMutating, timeout: Duration = .seconds(4), logger: Logger) {
        self.mutator = mutator
        self.timeout = timeout
        self.logger = logger
    }

    public func review(_ body: some Collection<UInt8>) async -> Outcome {
        let start = ContinuousClock.now
        let request: AdmissionRequest
        do {
            request = try AdmissionReview.parseRequest(body)
        } catch {
            logger.notice(
                "malformed admission review",
                metadata: ["error": "\(error.description)", "ms": "\(Self.milliseconds(since: start))"])
            return .malformed(error.description)
        }
        var metadata: Logger.Metadata = [
            "uid": "\(request.uid)",
            "namespace": "\(request.namespace ?? request.object["metadata"]?["namespace"]?.stringValue ?? "-")",
            "pod": "\(request.podName)",
        ]
        let decision: Decision
        var patch: [JSONPatch.Operation] = []
        var warnings: [String] = []
        if !request.isPodCreation {
            decision = .skipped
        } else {
            let mutator = mutator
            let pod = request.object
            do {
                // The namespace's labels are not in the review: the webhook configuration's namespaceSelector
                // already left out the namespaces that opted out.
                let mutated = try await withDeadline(timeout) { try await mutator.injectPod(pod, namespaceLabels: [:]) }
                patch = JSONPatch.diff(from: pod, to: mutated)
                decision = patch.isEmpty ? .unchanged : .patched
            } catch let error as DeadlineExceeded {
                decision = .timedOut
                warnings = [Self.warning("the agent was not injected: \(error.description)")]
                metadata["error"] = "\(error.description)"
            } catch {
                decision = .failed
                let reason = Self.printable(String(describing: error))
                warnings = [Self.warning("the agent was not injected: \(reason)")]
                metadata["error"] = "\(reason)"
            }
        }
        metadata["decision"] = "\(decision.rawValue)"
        metadata["ms"] = "\(Self.milliseconds(since: start))"
        switch decision {
        case .failed, .timedOut: logger.warning("admission review", metadata: metadata)
        case .patched, .unchanged, .skipped: logger.info("admission review", metadata: metadata)
        }
        return .answer(AdmissionReview.response(uid: request.uid, patch: patch, warnings: warnings), decision)
    }

    /// Warnings are shown to kubectl users; the API server truncates long ones.
    static func warning(_ text: String) -> String {
        let line = "imagepatch: " + text
        return line.count > 240 ? String(line.prefix(239)) + "…" : line
    }

    /// Control characters (from an error quoting untrusted names) would break log lines and warnings.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(Int((ms * 10).rounded())).withDecimalPoint
    }
}

extension String {
    /// "123" tenths → "12.3".
    fileprivate var withDecimalPoint: String {
        let digits = count < 2 ? String(repeating: "0", count: 2 - count) + self : self
        return digits.dropLast() + "." + digits.suffix(1)
    }
}
