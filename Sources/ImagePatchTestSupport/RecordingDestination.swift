import Foundation
import OCI

/// An `ImageDestination` in memory that records every call in order, the most `putBlob` calls in
/// flight at once, and whether it was aborted; it can fail on command at any step. Blobs are read
/// from their origin and verified as a real destination does, and kept until `abort`.
// @unchecked: every mutable field below is read and written only under `lock` (many fields change
// together, which one NSLock keeps simple for a test double).
public final class RecordingDestination: ImageDestination, @unchecked Sendable {
    public enum Call: Equatable, Sendable, CustomStringConvertible {
        case currentRootDigest
        case hasBlob(Digest)
        case plannedAction(Digest)
        case putBlob(Digest)
        case putManifest(Digest)
        case commit(Digest)
        case abort

        public var description: String {
            switch self {
            case .currentRootDigest: "currentRootDigest"
            case .hasBlob(let digest): "hasBlob(\(digest.shortDescription))"
            case .plannedAction(let digest): "plannedAction(\(digest.shortDescription))"
            case .putBlob(let digest): "putBlob(\(digest.shortDescription))"
            case .putManifest(let digest): "putManifest(\(digest.shortDescription))"
            case .commit(let digest): "commit(\(digest.shortDescription))"
            case .abort: "abort"
            }
        }
    }

    /// A step to fail at; `nth` counts calls of that kind from 1.
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        case currentRootDigest
        case hasBlob(nth: Int)
        case plannedAction(nth: Int)
        case putBlob(nth: Int)
        case putManifest(nth: Int)
        case commit

        public var description: String {
            switch self {
            case .currentRootDigest: "currentRootDigest"
            case .hasBlob(let nth): "hasBlob #\(nth)"
            case .plannedAction(let nth): "plannedAction #\(nth)"
            case .putBlob(let nth): "putBlob #\(nth)"
            case .putManifest(let nth): "putManifest #\(nth)"
            case .commit: "commit"
            }
        }
    }

    /// The error a step told to fail throws.
    public struct InjectedFailure: Error, Equatable, CustomStringConvertible {
        public let step: Step
        public var description: String { "the recording destination failed on purpose at \(step)" }
    }

    public let reference: String
    public let canHoldIndex: Bool
    private let existing: Set<Digest>
    private let currentRoot: Digest?
    private let failOn: Step?
    private let holdPutBlobs: Int
    private let target: (any ImageSource)?
    private let lock = NSLock()
    private var log: [Call] = []
    private var counts: [String: Int] = [:]
    private var inFlight = 0
    private var peak = 0
    private var stored: [Digest: [UInt8]] = [:]
    private var storedManifests: [Digest: ManifestBlob] = [:]
    private var root: ManifestBlob?

    /// - Parameters:
    ///   - existingBlobs: blobs the destination already holds (`hasBlob` says so).
    ///   - currentRoot: what the target name points at now.
    ///   - target: the target read back as a source (`blobSource`), e.g. an earlier patch of it.
    ///   - holdPutBlobs: each `putBlob` waits (up to 2 s) until this many have been in flight at
    ///     once, then 50 ms more, so a test sees the engine's concurrency whatever the machine's
    ///     speed, and a call beyond it, started at the same time, is in flight too before any ends.
    public init(
        reference: String = "memory:target", canHoldIndex: Bool = true, existingBlobs: Set<Digest> = [],
        currentRoot: Digest? = nil, target: (any ImageSource)? = nil, failOn: Step? = nil, holdPutBlobs: Int = 0
    ) {
        self.reference = reference
        self.canHoldIndex = canHoldIndex
        self.existing = existingBlobs
        self.currentRoot = currentRoot
        self.target = target
        self.failOn = failOn
        self.holdPutBlobs = holdPutBlobs
    }

    public var calls: [Call] { lock.withLock { log } }
    public var maxConcurrentPutBlobs: Int { lock.withLock { peak } }
    public var aborted: Bool { calls.contains(.abort) }
    /// The root the target name was moved to; nil unless `commit` succeeded (and nothing aborted it).
    public var committedRoot: ManifestBlob? { lock.withLock { root } }
    /// Verified blobs written, by digest.
    public var blobs: [Digest: [UInt8]] { lock.withLock { stored } }
    public var manifests: [Digest: ManifestBlob] { lock.withLock { storedManifests } }
    public var blobSource: (any ImageSource)? { target }

    /// The committed image as a source (to patch it again), or nil when nothing was committed.
    public func committedImage(reference: String) -> InMemoryImageSource? {
        lock.withLock {
            root.map {
                InMemoryImageSource(
                    reference: reference, root: $0, manifests: Array(storedManifests.values),
                    blobs: Array(stored.values))
            }
        }
    }

    /// Records the call and fails when told to.
    private func enter(_ call: Call, kind: String, failing step: (Int) -> Step) throws {
        let nth = lock.withLock {
            log.append(call)
            counts[kind, default: 0] += 1
            return counts[kind]!
        }
        if let failOn, failOn == step(nth) { throw InjectedFailure(step: failOn) }
    }

    public func currentRootDigest() async throws -> Digest? {
        try enter(.currentRootDigest, kind: "root", failing: { _ in .currentRootDigest })
        return currentRoot
    }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        try enter(.hasBlob(descriptor.digest), kind: "has", failing: { .hasBlob(nth: $0) })
        return lock.withLock { existing.contains(descriptor.digest) || stored[descriptor.digest] != nil }
    }

    public func plannedAction(for descriptor: Descriptor, from origin: BlobOrigin) async throws -> BlobAction {
        try enter(.plannedAction(descriptor.digest), kind: "planned", failing: { .plannedAction(nth: $0) })
        return lock.withLock { existing.contains(descriptor.digest) } ? .present : .upload
    }

    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        try enter(.putBlob(descriptor.digest), kind: "put", failing: { .putBlob(nth: $0) })
        lock.withLock {
            inFlight += 1
            peak = max(peak, inFlight)
        }
        defer { lock.withLock { inFlight -= 1 } }
        let deadline = ContinuousClock.now + .seconds(2)
        if holdPutBlobs > 0 {
            while lock.withLock({ peak < holdPutBlobs }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let what = "blob \(descriptor.digest) for \(reference)"
        let bytes = try VerifyingReader(try await origin.open(), descriptor: descriptor, what: what)
            .readAll(limit: Int(descriptor.size) + 1, what: what)
        lock.withLock { stored[descriptor.digest] = bytes }
    }

    public func putManifest(_ manifest: ManifestBlob) async throws {
        try enter(.putManifest(manifest.digest), kind: "manifest", failing: { .putManifest(nth: $0) })
        lock.withLock { storedManifests[manifest.digest] = manifest }
    }

    public func commit(root manifest: ManifestBlob) async throws {
        try enter(.commit(manifest.digest), kind: "commit", failing: { _ in .commit })
        lock.withLock {
            storedManifests[manifest.digest] = manifest
            root = manifest
        }
    }

    /// Forgets what was written, as a real destination removes its staging area.
    public func abort() async {
        lock.withLock {
            log.append(.abort)
            if root == nil {
                stored = [:]
                storedManifests = [:]
            }
        }
    }
}
