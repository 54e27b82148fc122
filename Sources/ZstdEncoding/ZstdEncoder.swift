import CZstd

/// Streaming zstd compression with libzstd (`ZSTD_compressStream2`), for agent layers in OCI images
/// (`application/vnd.oci.image.layer.v1.tar+zstd`).
///
/// - Level 3 by default, zstd's own default and containers/image's: about 1.3 s of CPU per 200 MiB
///   of tar here (level 1 takes 0.8 s but writes barely less than gzip). ISA-L's gzip level 1 is
///   faster still; zstd buys a smaller layer that unpacks faster.
/// - Memory stays bounded whatever the input size: at level 3 libzstd keeps a 2 MiB window (the
///   input size is not given, so it cannot grow the window to fit), plus the output buffer here.
/// - Each frame carries an XXH64 checksum of its content, so a reader can tell damaged bytes.
/// - Single-threaded: the same input gives the same bytes on every run, and the engine already
///   builds each platform's layer on its own task.
public final class ZstdEncoder {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    public static let defaultLevel: Int32 = 3

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false

    public init(level: Int32 = ZstdEncoder.defaultLevel, outputBufferSize: Int = 1 << 20) throws {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdEncoderError(operation: "creating a compression context", name: "out of memory")
        }
        self.context = context
        output = .allocate(byteCount: max(outputBufferSize, 1), alignment: 16)
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "setting level \(level)")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "turning on checksums")
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    /// Compresses `input`, handing every produced chunk to `sink`. libzstd may keep part of the
    /// input buffered (up to its window) until a later call or `finish`.
    public func write(_ input: UnsafeRawBufferPointer, to sink: Sink) throws {
        precondition(!finished, "ZstdEncoder used after finish")
        guard input.count > 0 else { return }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        // ZSTD_e_continue takes as much input as it can per call: call again until all of it is taken.
        repeat {
            _ = try run(&source, ZSTD_e_continue, sink: sink)
        } while source.pos < source.size
    }

    /// Writes what is still buffered and ends the frame (with its checksum).
    public func finish(to sink: Sink) throws {
        precondition(!finished, "ZstdEncoder finished twice")
        finished = true
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        // ZSTD_e_end returns how many bytes are left to flush; 0 once the frame is complete.
        while try run(&source, ZSTD_e_end, sink: sink) != 0 {}
    }

    private func run(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective, sink: Sink) throws -> Int {
        var destination = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(context, &destination, &source, directive)
        try check(remaining, "compressing")
        if destination.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<destination.pos])) }
        return remaining
    }

    private func check(_ code: Int, _ operation: String) throws {
        if ZSTD_isError(code) != 0 {
            throw ZstdEncoderError(operation: operation, name: String(cString: ZSTD_getErrorName(code)))
        }
    }
}

public struct ZstdEncoderError: Error, CustomStringConvertible {
    /// What the encoder was doing, and libzstd's name for what went wrong.
    public let operation: String
    public let name: String
    public var description: String { "zstd compression failed inside libzstd while \(operation): \(name)" }
}
