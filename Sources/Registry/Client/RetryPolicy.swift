import Foundation
import HTTP
import OCI

/// Exponential backoff with jitter for what may pass: connection errors (refused, reset, an empty
/// reply, a body cut short, a timeout), 408, 429 and 5xx. The budget is counted in attempts
/// (`--retry-times`, skopeo's name, counts the retries after the first attempt) and in time: no
/// new attempt starts once one request has been tried for its deadline.
public struct RetryPolicy: Sendable {
    public var retries = 5
    public var baseDelay = 0.5
    public var maximumDelay = 8.0
    /// A longer Retry-After is waited for this long only.
    public var maximumRetryAfter = 30.0
    /// Seconds from a request's first attempt after which no new attempt starts: small objects
    /// (manifests, tokens, the API check, HEADs)…
    public var smallObjectDeadline = 120.0
    /// …and blobs, whose attempts last as long as their size needs.
    public var blobDeadline = 1800.0
    /// What `--retry-times` accepts.
    public static let retriesRange = 0...100

    public init() {}

    static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// The wait before retry number `retry + 1` (0-based); `retryAfter` is the server's header, if any.
    /// Only delta-seconds in ASCII digits are understood; an HTTP date or anything else falls back
    /// to the exponential backoff.
    func delay(after retry: Int, retryAfter: String?) -> Double {
        if let seconds = Self.retryAfterSeconds(retryAfter) { return min(seconds, maximumRetryAfter) }
        let exponential = min(baseDelay * pow(2, Double(min(retry, 30))), maximumDelay)
        return exponential * Double.random(in: 0.75...1.25)
    }

    static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let text = header?.trimmingCharacters(in: " \t"), ASCIINumber.isDigits(text) else { return nil }
        // Too many digits to parse is still a number of seconds: a very long one.
        return ASCIINumber.parse(text).map(Double.init) ?? Double.greatestFiniteMagnitude
    }

    func deadline(for limits: TransferLimits) -> Double {
        limits == .bulk ? blobDeadline : smallObjectDeadline
    }
}

/// The retries left to one request.
struct RetryBudget {
    let policy: RetryPolicy
    let deadline: Double
    private let started = ContinuousClock.now
    private(set) var retriesUsed = 0

    init(policy: RetryPolicy, limits: TransferLimits) {
        self.policy = policy
        deadline = policy.deadline(for: limits)
    }

    var attempts: Int { retriesUsed + 1 }

    var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The wait before the next attempt, or nil when the budget is spent (attempts or time).
    mutating func nextWait(retryAfter: String?) -> Double? {
        guard retriesUsed < policy.retries else { return nil }
        let wait = policy.delay(after: retriesUsed, retryAfter: retryAfter)
        guard elapsedSeconds + wait <= deadline else { return nil }
        retriesUsed += 1
        return wait
    }
}
