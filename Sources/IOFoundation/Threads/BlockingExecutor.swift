import Dispatch

/// Runs work that blocks its thread (tar, gzip, hashing, file copies, libcurl's transfers) off
/// Swift's cooperative pool, which has one thread per core: a task blocked there in `read(2)` or
/// zlib stops every other task queued behind it. Each job gets a thread at once: an idle one of
/// Dispatch's pool, or a new one when every thread is blocked.
///
/// Async code opts in with `BlockingExecutor.run { … }` (or `Task(executorPreference:)`): every
/// nonisolated async function called inside, and every child task, runs its synchronous stretches
/// here, and awaits hop back here when they resume. Nothing else changes: errors, cancellation and
/// task-local values behave as on the pool.
public final class BlockingExecutor: TaskExecutor {
    public static let shared = BlockingExecutor()

    private init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A serial queue of its own: those run on Dispatch's overcommit threads, started as soon as
        // none is idle. (A concurrent queue, like `DispatchQueue.global()`, adds a thread only about
        // once a second while its threads are blocked: work waiting behind blocked reads would wait.)
        DispatchQueue(label: "imagepatch.blocking").async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `body`, and the async work it calls, on the blocking executor.
    public static func run<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(shared, operation: body)
    }
}
