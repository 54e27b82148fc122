import Foundation
import HTTP
import Hashing
import IOFoundation
import OCI

/// Where a blob download puts its bytes, attempt after attempt.
protocol BlobDownloadTarget: AnyObject {
    /// Bytes kept so far: the next attempt asks for the rest.
    var received: Int64 { get }
    /// An answer begins, its body starting at byte `offset` (0 for a whole blob): where it goes.
    func begin(at offset: Int64) throws -> HTTPBodySink
}

/// A blob on its way to disk: hashed and counted as it arrives, refused as soon as it exceeds
/// its declared size. The file is unlinked once opened, so it disappears with its reader.
final class BlobDownload: BlobDownloadTarget {
    let descriptor: Descriptor
    let what: String
    private var file: AtomicFileWriter?
    private var hasher: DigestHasher
    private var count: Int64 = 0
    /// Told the bytes received as they come, when the caller asked (a progress display).
    private let meter: DownloadMeter.Meter?

    init(descriptor: Descriptor, what: String) throws {
        self.descriptor = descriptor
        self.what = what
        hasher = DigestHasher(descriptor.digest.algorithm)
        meter = DownloadMeter.meter(for: descriptor.digest.description)
    }

    var received: Int64 { count }

    /// Appends after what was kept, or (offset 0) starts a fresh file.
    func begin(at offset: Int64) throws -> HTTPBodySink {
        if offset == 0 || file == nil {
            file?.abandon()
            let directory = FileSystem.temporaryDirectory
            // Private (0600): the layers of a private image must not be readable by other users meanwhile.
            file = try AtomicFileWriter(path: "\(directory)/imagepatch-blob-\(descriptor.digest.hex.prefix(16))", mode: 0o600)
            hasher = DigestHasher(descriptor.digest.algorithm)
            count = 0
        }
        let writer = file!
        return { [unowned self] chunk in
            count += Int64(chunk.count)
            guard count <= descriptor.size else {
                throw OCIError.sizeMismatch(what: what, expected: descriptor.size, actual: count)
            }
            hasher.update(chunk)
            try writer.write(chunk)
            meter?(count)
        }
    }

    func finish() throws -> ByteReader {
        guard let file else { throw OCIError.io("\(what): no data was received") }
        defer { file.abandon() }
        guard count == descriptor.size else { throw OCIError.sizeMismatch(what: what, expected: descriptor.size, actual: count) }
        let actual = Digest(algorithm: descriptor.digest.algorithm, hex: hasher.finalizeHex())
        guard actual == descriptor.digest else { throw OCIError.digestMismatch(what: what, expected: descriptor.digest, actual: actual) }
        return try FileReader(path: file.temporaryPath)
    }

    deinit { file?.abandon() }
}

/// A download into the pipe of a streaming transfer: it can resume where it stopped, but not
/// take back what it handed over.
final class PipeDownload: BlobDownloadTarget {
    let pipe: BytePipe
    let what: String

    init(pipe: BytePipe, what: String) {
        self.pipe = pipe
        self.what = what
    }

    var received: Int64 { pipe.bytesWritten }

    func begin(at offset: Int64) throws -> HTTPBodySink {
        guard offset == pipe.bytesWritten else { throw StreamRestartNeeded(what: what) }
        return { [pipe] in try pipe.write($0) }
    }
}

/// A streamed download broke and the registry would only send it again from the start, which
/// the consumer has already read: the consumer (an upload) must start over with a new stream.
struct StreamRestartNeeded: Error, CustomStringConvertible {
    let what: String
    var description: String { "the download of \(what) broke off and cannot be resumed" }
}

extension OCIError {
    /// Bytes that are not what their descriptor says: worth one more fetch.
    var isContentMismatch: Bool {
        switch self {
        case .digestMismatch, .sizeMismatch: true
        default: false
        }
    }
}
