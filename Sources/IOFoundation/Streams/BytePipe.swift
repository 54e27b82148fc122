import Glibc

/// A bounded pipe between a producer (a download) and a consumer (an upload) on other threads, so
/// a blob can go from one registry to another without landing on disk and without growing memory:
/// the producer blocks while `capacity` bytes wait, the consumer while none do.
///
/// Sendable unchecked: every mutable field is read and written only with `mutex` held, and the
/// waits need a condition variable, which `Mutex` does not offer. The pthread objects live in the
/// class instance, so their addresses never change.
public final class BytePipe: ByteReader, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var chunks: [[UInt8]] = []
    private var head = 0  // offset into chunks[0]
    private var buffered = 0
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let capacity: Int
    private var written: Int64 = 0

    /// Bytes the producer has written so far.
    public var bytesWritten: Int64 {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return written
    }

    public init(capacity: Int = 8 << 20) {
        self.capacity = capacity
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    public struct Cancelled: Error, CustomStringConvertible {
        public var description: String { "the receiving side stopped reading" }
    }

    /// Producer: blocks until there is room; throws once the consumer has gone away.
    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while buffered >= capacity && !cancelled { pthread_cond_wait(&changed, &mutex) }
        if cancelled { throw Cancelled() }
        chunks.append(Array(chunk))
        buffered += chunk.count
        written += Int64(chunk.count)
        pthread_cond_broadcast(&changed)
    }

    /// Producer: the end of the stream, or the error that ended it.
    public func finish(error: Error? = nil) {
        pthread_mutex_lock(&mutex)
        finished = true
        failure = error
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }

    /// Consumer: stop, and make the producer's next write fail.
    public func cancel() {
        pthread_mutex_lock(&mutex)
        cancelled = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while buffered == 0 && !finished { pthread_cond_wait(&changed, &mutex) }
        if buffered == 0 {
            if let failure { throw failure }
            return 0
        }
        var copied = 0
        while copied < buffer.count, !chunks.isEmpty {
            let chunk = chunks[0]
            let count = min(buffer.count - copied, chunk.count - head)
            chunk.withUnsafeBytes {
                (buffer.baseAddress! + copied).copyMemory(from: $0.baseAddress! + head, byteCount: count)
            }
            copied += count
            head += count
            if head == chunk.count {
                chunks.removeFirst()
                head = 0
            }
        }
        buffered -= copied
        pthread_cond_broadcast(&changed)
        return copied
    }
}
