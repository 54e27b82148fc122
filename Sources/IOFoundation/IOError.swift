import Glibc

/// Errors of reading and writing files and streams. Each description is one sentence naming the
/// file or stream, because it is the one line a CI log shows.
public enum IOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed; the message names the file and the reason.
    case failed(String)
    case tooLarge(what: String, limit: Int64)
    case notRegularFile(String, kind: String)

    public var description: String {
        switch self {
        case .failed(let message): message
        case .tooLarge(let what, let limit): "\(what) is larger than the \(limit)-byte limit"
        case .notRegularFile(let subject, let kind): "\(subject) is \(kind), not a regular file; refusing to read it"
        }
    }
}

/// The text of the last system call's `errno`.
public func systemError() -> String { String(cString: strerror(errno)) }
