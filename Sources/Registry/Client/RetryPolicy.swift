import Foundation

/// Exponential backoff with jitter for what may pass: connection errors, 408, 429 and 5xx.
/// A few attempts and a bounded total wait, so a broken registry fails the run in reasonable time.
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var baseDelay = 0.5
    public var maximumDelay = 8.0
    /// A Retry-After longer than this is not waited for.
    public var maximumRetryAfter = 30.0

    public init() {}

    static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// The wait before attempt `attempt + 1`; `retryAfter` is the server's header, if any.
    func delay(after attempt: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: " ")), seconds >= 0 {
            return min(seconds, maximumRetryAfter)
        }
        let exponential = min(baseDelay * pow(2, Double(attempt)), maximumDelay)
        return exponential * Double.random(in: 0.75...1.25)
    }
}
