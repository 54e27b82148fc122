import CZlib
import IOFoundation

/// Streaming gzip decompression with zlib.
///
/// Pulls compressed bytes from `upstream` and yields decompressed bytes. Concatenated gzip members
/// (which `pigz` and some registries produce) are decoded as one stream, as `gzip -d` does.
public final class GzipDecoder: ByteReader {
    private let upstream: ByteReader
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var upstreamEnded = false
    private var memberEnded = false
    private var sawAnyInput = false

    public init(reading upstream: ByteReader, inputBufferSize: Int = 1 << 18) throws {
        self.upstream = upstream
        input = .allocate(byteCount: inputBufferSize, alignment: 16)
        // 16 + MAX_WBITS: gzip wrapper only; a zlib or raw deflate stream is not a gzip layer.
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw GzipDecoderError.corrupt("zlib could not start (status \(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Fills `buffer` with decompressed bytes; returns 0 only at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !upstreamEnded {
                let count = try upstream.read(into: input)
                if count == 0 {
                    upstreamEnded = true
                } else {
                    sawAnyInput = true
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.avail_in = UInt32(count)
                }
            }
            if memberEnded {
                // Another member follows only if there are more bytes; otherwise we are done.
                if stream.avail_in == 0 && upstreamEnded { break }
                guard inflateReset(&stream) == Z_OK else { throw GzipDecoderError.corrupt("zlib could not reset") }
                memberEnded = false
            }
            if stream.avail_in == 0 && upstreamEnded {
                throw GzipDecoderError.corrupt(sawAnyInput ? "the gzip stream is truncated" : "the gzip stream is empty")
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END: memberEnded = true
            case Z_OK: break
            case Z_BUF_ERROR: continue
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw GzipDecoderError.corrupt("invalid gzip data: \(message)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}

public enum GzipDecoderError: Error, CustomStringConvertible, Sendable {
    case corrupt(String)
    public var description: String {
        switch self {
        case .corrupt(let reason): reason
        }
    }
}
