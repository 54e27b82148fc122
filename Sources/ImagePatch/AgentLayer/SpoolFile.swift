import Glibc
import IOFoundation
import OCI

/// One append-only, already-unlinked temporary file holding the contents of every regular file
/// of the agent's layers. A file per entry would cost an open, a rename and an unlink each —
/// thousands of metadata operations for a real sensor; appending costs none, and the space is
/// returned when the descriptor closes, whatever happens to the process.
final class SpoolFile {
    private let descriptor: Int32
    private(set) var length: Int64 = 0

    init() throws {
        let directory = FileSystem.temporaryDirectory
        var template = Array("\(directory)/imagepatch-spool-XXXXXX".utf8CString)
        descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw OCIError.io("cannot create a spool file in \(directory): \(String(cString: strerror(errno)))") }
        unlink(String(cString: template))
    }

    deinit { close(descriptor) }

    /// `place` names the layer being read, for the error a full disk gives.
    func append(_ chunk: UnsafeRawBufferPointer, place: String) throws {
        var offset = 0
        while offset < chunk.count {
            let n = write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw OCIError.io("cannot write the agent spool file while reading \(place): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        length += Int64(chunk.count)
    }

    /// The bytes at `offset ..< offset + count`, read with pread so readers do not share a position.
    /// Each read fills the buffer (up to the end) even if the kernel returns less at once: the
    /// gzip encoder's output depends on how its input is split, so the split must not depend on
    /// timing, or the same agent would give a different layer digest now and then.
    func reader(offset: Int64, count: Int64) -> ByteReader {
        var position = offset
        let end = offset + count
        return ClosureReader { [descriptor] buffer in
            let wanted = Int(min(Int64(buffer.count), end - position))
            var filled = 0
            while filled < wanted {
                let n = pread(descriptor, buffer.baseAddress! + filled, wanted - filled, off_t(position))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw OCIError.io("the agent spool file ended early") }
                position += Int64(n)
                filled += n
            }
            return filled
        }
    }
}
