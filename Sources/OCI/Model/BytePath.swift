/// A path compared, hashed and ordered byte for byte. Swift's `String` equality treats canonically
/// equivalent spellings as the same ("café" in NFC and in NFD); a Linux filesystem, and so a tar
/// merge, does not: they are two files.
public struct BytePath: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }
    public init(stringLiteral value: String) { string = value }

    public var description: String { string }

    public static func == (lhs: BytePath, rhs: BytePath) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

    public static func < (lhs: BytePath, rhs: BytePath) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var string = self.string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Byte-level path operations: `/` and `.` are ASCII, so splitting and comparing the UTF-8 bytes is
/// exact, where `Character`-level operations would merge a `/` or `.` with a combining mark after it.
extension String {
    public func bytesEqual(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    public func bytesHavePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// The parts between `/` separators, empty ones left out.
    public func pathComponents() -> [String] {
        utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Everything after the first `count` bytes.
    public func droppingFirstBytes(_ count: Int) -> String { String(decoding: utf8.dropFirst(count), as: UTF8.self) }

    /// The part before the last `/`, or "" when there is none.
    public func pathParent() -> String {
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(decoding: utf8[..<slash], as: UTF8.self)
    }

    /// The part after the last `/`.
    public func pathLastComponent() -> String {
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return self }
        return String(decoding: utf8[utf8.index(after: slash)...], as: UTF8.self)
    }
}
