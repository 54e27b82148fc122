import Foundation
import IOFoundation
import Synchronization
import Testing

@Suite("Streams: blocking work runs off the cooperative pool")
struct BlockingExecutorTests {
    /// Each job blocks its thread until every job has started. The cooperative pool has one thread
    /// per core, so there this never happens and the jobs give up at the deadline; on
    /// `BlockingExecutor` every job gets a thread and all of them see the others.
    @Test func blockingJobsDoNotWaitForEachOther() async {
        let jobs = max(ProcessInfo.processInfo.activeProcessorCount, 2) * 2 + 2
        let started = Mutex(0)
        let sawAll = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<jobs {
                group.addTask {
                    await BlockingExecutor.run {
                        started.withLock { $0 += 1 }
                        let deadline = ContinuousClock.now + .seconds(60)
                        while started.withLock({ $0 }) < jobs && ContinuousClock.now < deadline { usleep(1000) }
                        return started.withLock { $0 } == jobs
                    }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(sawAll == jobs)
    }

    @Test func errorsComeBackToTheCaller() async {
        await #expect(throws: IOError.failed("cannot read x")) {
            try await BlockingExecutor.run { () throws(IOError) -> Int in throw IOError.failed("cannot read x") }
        }
    }
}
