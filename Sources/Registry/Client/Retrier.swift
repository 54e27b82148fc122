import Foundation
import HTTP
import Logging

/// The one retry loop every request goes through: registry API calls, the API check and token
/// fetches. An attempt that ends in a retryable error or status is repeated after the policy's
/// wait, within the request's budget; anything else, or a spent budget, ends in one error that
/// names the registry and the operation. A 429 also pauses the registry's gate, so that every
/// worker's next request to that registry waits, not only this one's.
struct Retrier: Sendable {
    let policy: RetryPolicy
    let registry: String
    /// nil for requests to other hosts (a token server) that the registry's 429 says nothing about.
    let gate: RegistryGate?
    let logger: Logger

    /// `retryable` false hands every answer and error back after one attempt (a streaming upload,
    /// whose caller starts over itself). `retries` decides which transport errors are worth
    /// another attempt (the API check moves on to plain HTTP after a failed handshake instead).
    func run(
        operation: String, limits: TransferLimits, retryable: Bool = true,
        retries: (HTTPError) -> Bool = { $0.isRetryable },
        _ attempt: () async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        var budget = RetryBudget(policy: policy, limits: limits)
        while true {
            let reason: String
            var retryAfter: String?
            let failure: Error
            var tooManyRequests = false
            do {
                let response = try await attempt()
                tooManyRequests = response.status == 429
                guard retryable, RetryPolicy.isRetryable(status: response.status) else { return response }
                reason = "HTTP \(response.status)"
                retryAfter = response.header("Retry-After")
                failure = RegistryError.retriesExhausted(
                    registry: registry, operation: operation, attempts: budget.attempts,
                    status: response.status, codes: RegistryErrorCodes(body: response.body))
            } catch let error as HTTPError {
                let wrapped = RegistryError.transport(registry: registry, operation: operation, attempts: budget.attempts, cause: error)
                guard retryable, retries(error) else { throw wrapped }
                reason = error.description
                failure = wrapped
            }
            guard let wait = budget.nextWait(retryAfter: retryAfter) else { throw failure }
            // Told to slow down: no new request to this registry starts, from any worker, before
            // this one's retry does (Retry-After, capped, or the backoff, which grows retry after retry).
            if tooManyRequests { gate?.pause(for: wait) }
            logger.info(
                "\(registry): \(reason) to \(operation); retrying in \(String(format: "%.1f", wait)) s (retry \(budget.retriesUsed) of \(policy.retries))"
            )
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }

    /// One HTTP exchange, in a slot of the registry's gate (requests to other hosts, without a
    /// gate, go straight out). A 429 pauses the gate before the slot is given back: otherwise a
    /// request waiting for that slot could slip out between the answer and the pause.
    func exchange(_ send: () async throws -> HTTPResponse) async throws -> HTTPResponse {
        guard let gate else { return try await send() }
        return try await gate.withSlot {
            let response = try await send()
            if response.status == 429 {
                gate.pause(for: policy.delay(after: 0, retryAfter: response.header("Retry-After")))
            }
            return response
        }
    }
}
