import Foundation
import HTTP
import Logging

/// The one retry loop every request goes through: registry API calls, the API check and token
/// fetches. An attempt that ends in a retryable error or status is repeated after the policy's
/// wait, within the request's budget; anything else, or a spent budget, ends in one error that
/// names the registry and the operation.
struct Retrier: Sendable {
    let policy: RetryPolicy
    let registry: String
    let logger: Logger

    /// `retryable` false hands every answer and error back after one attempt (a streaming upload,
    /// whose caller starts over itself). `retries` decides which transport errors are worth
    /// another attempt (the API check moves on to plain HTTP after a failed handshake instead).
    func run(operation: String, limits: TransferLimits, retryable: Bool = true,
             retries: (HTTPError) -> Bool = { $0.isRetryable },
             _ attempt: () async throws -> HTTPResponse) async throws -> HTTPResponse {
        var budget = RetryBudget(policy: policy, limits: limits)
        while true {
            let reason: String
            var retryAfter: String?
            let failure: Error
            do {
                let response = try await attempt()
                guard retryable, RetryPolicy.isRetryable(status: response.status) else { return response }
                reason = "HTTP \(response.status)"
                retryAfter = response.header("Retry-After")
                failure = RegistryError.retriesExhausted(registry: registry, operation: operation, attempts: budget.attempts,
                                                         status: response.status, codes: RegistryError.codes(from: response.body))
            } catch let error as HTTPError {
                let wrapped = RegistryError.transport(registry: registry, operation: operation, attempts: budget.attempts, cause: error)
                guard retryable, retries(error) else { throw wrapped }
                reason = error.description
                failure = wrapped
            }
            guard let wait = budget.nextWait(retryAfter: retryAfter) else { throw failure }
            logger.info("\(registry): \(reason) to \(operation); retrying in \(String(format: "%.1f", wait)) s (retry \(budget.retriesUsed) of \(policy.retries))")
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }
}
