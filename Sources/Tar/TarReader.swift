import CArchive
import Glibc
import IOFoundation

/// Reads tar entries from a byte stream with libarchive.
///
/// With `decompressing: true` libarchive also recognises and removes any compression it knows
/// (gzip, bzip2, xz, zstd, …): that is how whole `docker save` archives are read. Layer streams
/// are normally handed over already decompressed, so that their diff_id can be hashed on the way.
public final class TarReader {
    private let archive: OpaquePointer
    private let context: ReadCallbackContext
    private var entry: OpaquePointer?

    public init(reading upstream: ByteReader, decompressing: Bool, bufferSize: Int = 1 << 18) throws {
        utf8Locale
        guard let archive = archive_read_new() else { throw TarError("libarchive could not allocate a reader") }
        self.archive = archive
        context = ReadCallbackContext(bufferSize: bufferSize, upstream: upstream)
        archive_read_support_format_tar(archive)
        if decompressing {
            supportImageCompressions(archive)
        } else {
            archive_read_support_filter_none(archive)
        }
        guard context.open(archive) == ARCHIVE_OK else {
            throw context.error ?? TarError(archiveErrorMessage(archive, "cannot open the tar stream"))
        }
    }

    deinit { archive_read_free(archive) }

    /// The next header, or nil at the end of the archive. Unread data of the previous entry is skipped.
    public func nextEntry() throws -> TarEntry? {
        var header: OpaquePointer?
        let status = archive_read_next_header(archive, &header)
        switch status {
        case ARCHIVE_EOF: return nil
        case ARCHIVE_OK, ARCHIVE_WARN: break
        default: throw failure("cannot read the next tar header")
        }
        guard let header else { throw TarError("libarchive returned no tar header") }
        entry = header
        return try Self.decode(header)
    }

    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        guard count >= 0 else { throw failure("cannot read tar entry data") }
        return count
    }

    /// The name of the outermost compression libarchive recognised ("none" for plain tar).
    public var compressionName: String {
        archive_filter_name(archive, 0).map { String(cString: $0) } ?? "none"
    }

    private func failure(_ what: String) -> Error {
        context.error ?? TarError("\(what): \(archiveErrorMessage(archive, "unknown libarchive error"))")
    }

    private static func decode(_ header: OpaquePointer) throws -> TarEntry {
        // The UTF-8 view first (pax headers carry UTF-8 whatever the locale); the stored bytes otherwise.
        guard let rawPath = archive_entry_pathname_utf8(header) ?? archive_entry_pathname(header) else {
            throw TarError("a tar entry has no name")
        }
        guard let path = String(validatingCString: rawPath) else {
            throw TarError("tar entry name is not valid UTF-8: \(String(cString: rawPath).debugDescription)")
        }
        let kind: TarEntry.Kind
        var linkTarget: [UInt8]?
        if let hardlink = archive_entry_hardlink(header) ?? archive_entry_hardlink_utf8(header) {
            kind = .hardlink
            linkTarget = bytes(hardlink)
        } else {
            switch archive_entry_filetype(header) {
            case UInt32(CARCHIVE_IFREG): kind = .regular
            case UInt32(CARCHIVE_IFDIR): kind = .directory
            case UInt32(CARCHIVE_IFLNK):
                kind = .symlink
                // The stored bytes first: a target need not be UTF-8, and decoding it would alter it.
                linkTarget = (archive_entry_symlink(header) ?? archive_entry_symlink_utf8(header)).map(bytes) ?? []
            case UInt32(CARCHIVE_IFCHR): kind = .characterDevice
            case UInt32(CARCHIVE_IFBLK): kind = .blockDevice
            case UInt32(CARCHIVE_IFIFO): kind = .fifo
            case UInt32(CARCHIVE_IFSOCK): kind = .socket
            default: throw TarError("tar entry \(path) has an unknown file type")
            }
        }
        var entry = TarEntry(
            path: path, kind: kind,
            // For a sparse entry, the size it unpacks to (holes included), not the bytes stored.
            size: archive_entry_size_is_set(header) != 0 ? archive_entry_size(header) : 0,
            mode: UInt32(archive_entry_perm(header)),
            uid: archive_entry_uid(header), gid: archive_entry_gid(header),
            modificationTime: Int64(archive_entry_mtime(header)))
        entry.linkTargetBytes = linkTarget
        return entry
    }

    private static func bytes(_ cString: UnsafePointer<CChar>) -> [UInt8] {
        UnsafeRawBufferPointer(start: cString, count: strlen(cString)).map { $0 }
    }
}
