import IOFoundation
import OCI
import Synchronization

/// Told what a run moves and builds, byte by byte, for a progress display (`PatchOptions.progress`).
/// The engine knows nothing of terminals: it reports when a blob transfer or an agent layer build
/// starts and finishes, and advances the counters of the objects it hands over as bytes go through.
///
/// Bytes are counted, not called back: a transfer adds each chunk to its own atomic counter (one
/// relaxed add, no lock, no other thread writing it), and an observer reads the counters at its own
/// pace. So the hot path costs the same whatever the observer does, and nothing is buffered.
/// Without an observer (the default) nothing is counted and no reader is wrapped.
///
/// Calls come from any thread, concurrently (one transfer per `--jobs`, one build per agent platform).
public protocol PatchProgressObserver: Sendable {
    /// A blob the destination lacks starts to move (a blob already there is not reported). Every
    /// attempt of the transfer starts `blob.bytesDone` again from 0; a mount moves no bytes.
    func blobStarted(_ blob: BlobProgress)
    /// The transfer ended, stored or failed (a failure is also the run's error, reported elsewhere).
    func blobFinished(_ blob: BlobProgress)
    /// An agent layer starts to be built (a layer found in a cache is not).
    func agentLayerStarted(_ layer: AgentLayerProgress)
    /// The build ended, written or failed.
    func agentLayerFinished(_ layer: AgentLayerProgress)
}

/// One blob transfer: its descriptor and the bytes read from its origin so far.
public final class BlobProgress: Sendable {
    public let descriptor: Descriptor
    private let done = Atomic<Int64>(0)

    public init(descriptor: Descriptor) { self.descriptor = descriptor }

    /// Bytes of the current attempt so far (at most `descriptor.size` for a blob that is what it claims).
    public var bytesDone: Int64 { done.load(ordering: .relaxed) }

    /// The transfer advanced by `count` bytes.
    public func advance(by count: Int) { done.add(Int64(count), ordering: .relaxed) }

    /// A new attempt reads the blob from its start.
    public func restart() { done.store(0, ordering: .relaxed) }

    /// The bytes of the current attempt, all told (a download reports its total so far).
    public func set(_ count: Int64) { done.store(count, ordering: .relaxed) }
}

/// One agent layer build: the agent image's layers read (compressed, as they come from the
/// image) and the layer written (compressed, as it goes to disk).
public final class AgentLayerProgress: Sendable {
    public let platform: Platform
    /// The agent image's layers for this platform, compressed: what `bytesIn` counts up to.
    public let inputSize: Int64
    private let input = Atomic<Int64>(0)
    private let output = Atomic<Int64>(0)

    public init(platform: Platform, inputSize: Int64) {
        self.platform = platform
        self.inputSize = inputSize
    }

    public var bytesIn: Int64 { input.load(ordering: .relaxed) }
    public var bytesOut: Int64 { output.load(ordering: .relaxed) }

    public func advanceIn(by count: Int) { input.add(Int64(count), ordering: .relaxed) }
    /// The bytes read in, all told.
    public func setIn(_ count: Int64) { input.store(count, ordering: .relaxed) }
    public func advanceOut(by count: Int) { output.add(Int64(count), ordering: .relaxed) }
}

/// A reader that counts what passes through it, nothing more.
final class CountingReader: ByteReader {
    private let base: ByteReader
    private let count: (Int) -> Void
    private var restarting: BlobProgress?

    /// `restartingOnFirstRead`: a count of the download that made `base`, set back to 0 when its
    /// reading starts.
    init(_ base: ByteReader, restartingOnFirstRead restarting: BlobProgress? = nil, count: @escaping (Int) -> Void) {
        self.base = base
        self.restarting = restarting
        self.count = count
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let restarting {
            restarting.restart()
            self.restarting = nil
        }
        let n = try base.read(into: buffer)
        count(n)
        return n
    }
}

extension BlobOrigin {
    /// The same origin, counted into `progress`. Each opened reader restarts the count; a blob the
    /// source downloads before handing it over (a registry's) is counted as it arrives, and then
    /// once more from 0 as it is read (the destination's copy or upload of it).
    func counted(into progress: BlobProgress) -> BlobOrigin {
        let (open, stream) = (self.open, self.stream)
        return BlobOrigin(
            source: source,
            open: {
                progress.restart()
                let reader = try await DownloadMeter.counting(progress.descriptor.digest.description, into: { progress.set($0) }) {
                    try await open()
                }
                return CountingReader(reader, restartingOnFirstRead: progress.bytesDone > 0 ? progress : nil) { progress.advance(by: $0) }
            },
            stream: {
                progress.restart()
                return CountingReader(try await stream()) { progress.advance(by: $0) }
            })
    }
}

extension PatchEngine {
    /// Runs `build` with the counters of a new `AgentLayerProgress`, reported to `progress` as
    /// started and, before whatever is logged of the result, finished.
    static func building(
        _ patch: PlatformPatch, reportingTo progress: (any PatchProgressObserver)?,
        _ build: (AgentLayerProgress?) async throws -> AgentLayer
    ) async throws -> AgentLayer {
        guard let progress else { return try await build(nil) }
        let counted = AgentLayerProgress(platform: patch.platform, inputSize: patch.agentManifest.layers.reduce(0) { $0 + $1.size })
        progress.agentLayerStarted(counted)
        defer { progress.agentLayerFinished(counted) }
        return try await build(counted)
    }
}
