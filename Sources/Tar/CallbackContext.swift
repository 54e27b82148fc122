import CArchive
import Glibc
import IOFoundation

/// State shared with libarchive's C callbacks. libarchive cannot carry a Swift error across its
/// C frames, so a thrown error is parked here and rethrown once control is back in Swift.
final class ReadCallbackContext {
    let upstream: ByteReader
    let buffer: UnsafeMutableRawBufferPointer
    var error: Error?

    init(bufferSize: Int, upstream: ByteReader) {
        self.upstream = upstream
        self.buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Opens `archive` for reading with this context's upstream as its data source.
    func open(_ archive: OpaquePointer) -> Int32 {
        archive_read_open(
            archive, Unmanaged.passUnretained(self).toOpaque(), nil,
            { archive, rawContext, bufferOut in
                let context = Unmanaged<ReadCallbackContext>.fromOpaque(rawContext!).takeUnretainedValue()
                do {
                    let count = try context.upstream.read(into: context.buffer)
                    bufferOut?.pointee = UnsafeRawPointer(context.buffer.baseAddress)
                    return la_ssize_t(count)
                } catch {
                    context.error = error
                    carchive_set_error(archive, EIO, "upstream read failed")
                    return -1
                }
            }, nil)
    }
}

func archiveErrorMessage(_ archive: OpaquePointer, _ fallback: String) -> String {
    archive_error_string(archive).map { String(cString: $0) } ?? fallback
}

/// libarchive converts names between UTF-8 and the locale's charset, and fails on a name the "C"
/// locale cannot represent. Agent images carry such names (CA bundles with accented file names),
/// so the character type is made UTF-8 once, before any archive is opened.
let utf8Locale: Void = {
    if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
}()

/// The compressions images and image archives use, each decoded in-process by libarchive.
/// Not `archive_read_support_filter_all`: for some formats (lrzip, lzop, grzip) libarchive would
/// start an external program on untrusted input.
func supportImageCompressions(_ archive: OpaquePointer) {
    archive_read_support_filter_gzip(archive)
    archive_read_support_filter_bzip2(archive)
    archive_read_support_filter_xz(archive)
    archive_read_support_filter_lzma(archive)
    archive_read_support_filter_zstd(archive)
    archive_read_support_filter_lz4(archive)
    archive_read_support_filter_compress(archive)
}
