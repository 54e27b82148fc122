import Foundation
import Logging
import OCI

/// One blob to put in the destination, unless it is already there.
struct BlobTransfer: Sendable {
    let descriptor: Descriptor
    let origin: BlobOrigin

    static func run(
        _ transfers: [BlobTransfer], to destination: any ImageDestination, jobs: Int, logger: Logger,
        progress: (any PatchProgressObserver)? = nil
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = transfers[...]
            func startNext() {
                guard let transfer = pending.popFirst() else { return }
                group.addTask {
                    let blob = "\(transfer.descriptor.digest.shortDescription) (\(transfer.descriptor.size) bytes)"
                    if try await destination.hasBlob(transfer.descriptor) {
                        logger.info("skipped \(blob): already in \(destination.reference)")
                        return
                    }
                    let started = ContinuousClock.now
                    if let progress {
                        let counted = BlobProgress(descriptor: transfer.descriptor)
                        progress.blobStarted(counted)
                        defer { progress.blobFinished(counted) }
                        try await destination.putBlob(transfer.descriptor, from: transfer.origin.counted(into: counted))
                    } else {
                        try await destination.putBlob(transfer.descriptor, from: transfer.origin)
                    }
                    let seconds = max((ContinuousClock.now - started) / .milliseconds(1), 1) / 1000
                    let rate = Double(transfer.descriptor.size) / seconds / 1_048_576
                    logger.info("stored \(blob) in \(String(format: "%.2f", seconds)) s, \(String(format: "%.1f", rate)) MiB/s")
                }
            }
            for _ in 0..<max(1, jobs) { startNext() }
            while try await group.next() != nil { startNext() }
        }
    }
}
