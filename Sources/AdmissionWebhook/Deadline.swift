import Synchronization

/// `work` did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "no answer within \(limit)" }
}

/// Runs `work` and returns its result, or throws `DeadlineExceeded` once `limit` has passed, without
/// waiting for work that ignores cancellation: it is cancelled and left to finish on its own, and
/// its result is dropped. A review must answer before the API server's webhook timeout.
func withDeadline<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = OneShot<T>()
    let worker = Task {
        do {
            outcome.complete(.success(try await work()))
        } catch {
            outcome.complete(.failure(error))
        }
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        if !Task.isCancelled, outcome.complete(.failure(DeadlineExceeded(limit: limit))) {
            worker.cancel()
        }
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await outcome.value()
    } onCancel: {
        worker.cancel()
        outcome.complete(.failure(CancellationError()))
    }
}

/// A result set once, by whichever side comes first, and awaited once.
private final class OneShot<T: Sendable>: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<T, any Error>)
        case done(Result<T, any Error>)
        case delivered
    }

    private let state = Mutex(State.pending)

    /// False when the result was already set.
    @discardableResult
    func complete(_ result: Result<T, any Error>) -> Bool {
        let (first, waiter): (Bool, CheckedContinuation<T, any Error>?) = state.withLock { state in
            switch state {
            case .pending:
                state = .done(result)
                return (true, nil)
            case .waiting(let continuation):
                state = .delivered
                return (true, continuation)
            case .done, .delivered:
                return (false, nil)
            }
        }
        waiter?.resume(with: result)
        return first
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<T, any Error>? = state.withLock { state in
                if case .done(let result) = state {
                    state = .delivered
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
