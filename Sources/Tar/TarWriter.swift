import CArchive

/// Names are handed over as their bytes (the character type is UTF-8, see `utf8Locale`), with no
/// conversion that could normalise them.
/// Writes a POSIX tar stream (pax extensions only where ustar cannot hold a value, so the output is
/// byte-for-byte reproducible) to a sink.
public final class TarWriter {
    private let archive: OpaquePointer
    private let context: WriteCallbackContext
    private let header: OpaquePointer

    public init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        utf8Locale
        guard let archive = archive_write_new(), let header = archive_entry_new() else {
            throw TarError("libarchive could not allocate a writer")
        }
        self.archive = archive
        self.header = header
        context = WriteCallbackContext(sink: sink)
        archive_write_set_format_pax_restricted(archive)
        // Names are written as the bytes they are (a pax `hdrcharset=BINARY` record where needed):
        // libarchive would otherwise convert them through Unicode normalisation, and "café" in NFC
        // and in NFD, two files on Linux, would come out as one name.
        archive_write_set_format_option(archive, "pax", "hdrcharset", "BINARY")
        // No padding to a 10 KiB record at the end: layers are streams, not tapes.
        archive_write_set_bytes_in_last_block(archive, 1)
        guard context.open(archive) == ARCHIVE_OK else {
            throw context.error ?? TarError(archiveErrorMessage(archive, "cannot open the tar writer"))
        }
    }

    deinit {
        archive_entry_free(header)
        archive_write_free(archive)
    }

    public func writeHeader(_ entry: TarEntry) throws {
        archive_entry_clear(header)
        archive_entry_set_pathname(header, entry.path)
        archive_entry_set_perm(header, mode_t(entry.mode))
        archive_entry_set_uid(header, entry.uid)
        archive_entry_set_gid(header, entry.gid)
        archive_entry_set_mtime(header, time_t(entry.modificationTime), 0)
        switch entry.kind {
        case .regular:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFREG))
            archive_entry_set_size(header, entry.size)
        case .directory:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFDIR))
        case .symlink:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFLNK))
            archive_entry_set_symlink(header, entry.linkTarget ?? "")
        case .hardlink:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFREG))
            archive_entry_set_hardlink(header, entry.linkTarget ?? "")
            archive_entry_set_size(header, 0)
        case .characterDevice:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFCHR))
        case .blockDevice:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFBLK))
        case .fifo:
            archive_entry_set_filetype(header, UInt32(CARCHIVE_IFIFO))
        case .socket:
            throw TarError("tar cannot hold the socket \(entry.path)")
        }
        guard archive_write_header(archive, header) == ARCHIVE_OK else {
            throw failure("cannot write the tar header of \(entry.path)")
        }
    }

    public func writeData(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let written = archive_write_data(archive, buffer.baseAddress! + offset, buffer.count - offset)
            guard written > 0 else { throw failure("cannot write tar entry data") }
            offset += written
        }
    }

    /// Writes the end-of-archive marker and flushes everything to the sink.
    public func finish() throws {
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure("cannot finish the tar stream") }
    }

    private func failure(_ what: String) -> Error {
        context.error ?? TarError("\(what): \(archiveErrorMessage(archive, "unknown libarchive error"))")
    }
}
