import Glibc

/// Standard input, read with a bound: a password or a task definition piped from `/dev/zero`
/// must stop at the limit, not grow memory until the machine gives out.
public enum StandardInput {
    /// Reads standard input to its end; more than `limit` bytes is an error naming `what`.
    public static func readAll(limit: Int, what: String) throws -> [UInt8] {
        try StandardInputReader().readAll(limit: limit, what: what)
    }
}

/// fd 0 as a `ByteReader`. It is a pipe or a terminal as often as a file, so unlike `FileReader`
/// it takes whatever kind of file it is given.
private final class StandardInputReader: ByteReader {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(0, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw IOError.failed("cannot read standard input: \(systemError())")
        }
    }
}
