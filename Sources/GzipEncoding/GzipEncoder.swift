import CISAL

/// Streaming gzip compression with ISA-L's igzip.
///
/// Level 1 is used on purpose: it is about ten times faster than zlib's default level on the
/// layers we build, and the output is ordinary RFC 1952 gzip that every registry and runtime reads.
/// The header ISA-L writes has no file name and a zero mtime, so the output is reproducible.
public final class GzipEncoder {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private let stream: UnsafeMutablePointer<isal_zstream>
    private let levelBuffer: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false

    public init(outputBufferSize: Int = 1 << 20) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: isal_zstream())
        isal_deflate_init(stream)
        levelBuffer = .allocate(byteCount: Int(cisal_level1_buffer_size()), alignment: 16)
        output = .allocate(byteCount: outputBufferSize, alignment: 16)
        stream.pointee.level = 1
        stream.pointee.level_buf = levelBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.level_buf_size = UInt32(levelBuffer.count)
        stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
    }

    deinit {
        stream.deallocate()
        levelBuffer.deallocate()
        output.deallocate()
    }

    /// Compresses `input`, handing every produced chunk to `sink`.
    public func write(_ input: UnsafeRawBufferPointer, to sink: Sink) throws {
        precondition(!finished, "GzipEncoder used after finish")
        guard input.count > 0 else { return }
        // ISA-L takes at most UInt32.max bytes per call.
        var offset = 0
        while offset < input.count {
            let chunk = min(input.count - offset, Int(UInt32.max))
            try run(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + chunk)]), endOfStream: false, sink: sink)
            offset += chunk
        }
    }

    /// Writes the remaining compressed data and the gzip trailer.
    public func finish(to sink: Sink) throws {
        precondition(!finished, "GzipEncoder finished twice")
        finished = true
        try run(UnsafeRawBufferPointer(start: nil, count: 0), endOfStream: true, sink: sink)
    }

    private func run(_ input: UnsafeRawBufferPointer, endOfStream: Bool, sink: Sink) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.end_of_stream = endOfStream ? 1 : 0
        repeat {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = isal_deflate(stream)
            guard status == COMP_OK else { throw GzipEncoderError(status: status) }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            // Keep draining while input remains, the output buffer filled up, or the end block is pending.
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            || (endOfStream && stream.pointee.internal_state.state != ZSTATE_END)
    }
}

public struct GzipEncoderError: Error, CustomStringConvertible {
    public let status: Int32
    public var description: String { "gzip compression failed inside ISA-L (status \(status))" }
}
