import CArchive
import IOFoundation

/// Removes whatever compression libarchive recognises (gzip, bzip2, xz, zstd, lz4, …) from a byte
/// stream, and passes uncompressed input through unchanged. It uses libarchive's "raw" format, so
/// the bytes come out untouched by any tar parsing: callers hash them (diff_id) before parsing.
public final class Decompressor: ByteReader {
    private let archive: OpaquePointer
    private let context: ReadCallbackContext
    private var atEnd = false

    public init(reading upstream: ByteReader, bufferSize: Int = 1 << 18) throws {
        utf8Locale
        guard let archive = archive_read_new() else { throw TarError("libarchive could not allocate a reader") }
        self.archive = archive
        context = ReadCallbackContext(bufferSize: bufferSize, upstream: upstream)
        supportImageCompressions(archive)
        archive_read_support_format_raw(archive)
        archive_read_support_format_empty(archive)
        guard context.open(archive) == ARCHIVE_OK else {
            throw context.error ?? TarError(archiveErrorMessage(archive, "cannot open the compressed stream"))
        }
        var header: OpaquePointer?
        let status = archive_read_next_header(archive, &header)
        if status == ARCHIVE_EOF {
            atEnd = true
        } else if status != ARCHIVE_OK && status != ARCHIVE_WARN {
            throw context.error ?? TarError(archiveErrorMessage(archive, "cannot decompress the stream"))
        }
    }

    deinit { archive_read_free(archive) }

    public var compressionName: String {
        archive_filter_name(archive, 0).map { String(cString: $0) } ?? "none"
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if atEnd { return 0 }
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        guard count >= 0 else {
            throw context.error ?? TarError("cannot decompress the stream: \(archiveErrorMessage(archive, "corrupt data"))")
        }
        if count == 0 { atEnd = true }
        return count
    }
}
