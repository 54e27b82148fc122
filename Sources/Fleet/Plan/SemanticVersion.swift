/// A tag read as a semantic version, for `latest: N`. Precedence is semver 2.0.0's: major, minor
/// and patch compare as numbers (`1.10.0` > `1.2.0`), a pre-release sorts below its release and
/// compares identifier by identifier (numbers as numbers, below alphanumerics; a longer list wins
/// when one is a prefix of the other), build metadata is ignored.
///
/// Accepted beyond the strict grammar, because image tags are written that way: a leading `v`
/// (`v1.2.3`), and one or two numeric parts (`7` is 7.0.0, `3.18` is 3.18.0). Anything else
/// (`latest`, `stable`, `1.2.3.4`, `01.2.3`, dates with a leading zero) is not a version.
public struct SemanticVersion: Sendable, CustomStringConvertible {
    /// Digits without leading zeros, compared by length then text: no overflow for long numbers.
    public let core: [String]
    public let preRelease: [String]
    public let text: String

    public init?(tag: String) {
        var rest = Substring(tag)
        if rest.first == "v" { rest = rest.dropFirst() }
        if let plus = rest.firstIndex(of: "+") {
            let build = rest[rest.index(after: plus)...]
            guard Self.identifiers(build) != nil else { return nil }
            rest = rest[..<plus]
        }
        var preRelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            guard let identifiers = Self.identifiers(rest[rest.index(after: dash)...]),
                identifiers.allSatisfy({ !Self.isNumeric($0) || Self.isCanonicalNumber($0) })
            else { return nil }
            preRelease = identifiers
            rest = rest[..<dash]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy(Self.isCanonicalNumber) else { return nil }
        core = parts + Array(repeating: "0", count: 3 - parts.count)
        self.preRelease = preRelease
        text = tag
    }

    public var description: String { text }

    /// -1, 0 or 1, as semver 2.0.0 orders `lhs` against `rhs`.
    public static func precedence(_ lhs: SemanticVersion, _ rhs: SemanticVersion) -> Int {
        for (a, b) in zip(lhs.core, rhs.core) {
            let order = compareNumbers(a, b)
            if order != 0 { return order }
        }
        switch (lhs.preRelease.isEmpty, rhs.preRelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): break
        }
        for (a, b) in zip(lhs.preRelease, rhs.preRelease) {
            let order: Int
            switch (isNumeric(a), isNumeric(b)) {
            case (true, true): order = compareNumbers(a, b)
            case (true, false): order = -1
            case (false, true): order = 1
            case (false, false): order = a == b ? 0 : (Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? -1 : 1)
            }
            if order != 0 { return order }
        }
        return lhs.preRelease.count == rhs.preRelease.count ? 0 : (lhs.preRelease.count < rhs.preRelease.count ? -1 : 1)
    }

    /// Newest first by precedence; equal precedence by tag text, bytewise, so the order never
    /// depends on the order the registry listed the tags in.
    public static func newestFirst(_ lhs: SemanticVersion, _ rhs: SemanticVersion) -> Bool {
        let order = precedence(lhs, rhs)
        if order != 0 { return order > 0 }
        return Array(lhs.text.utf8).lexicographicallyPrecedes(Array(rhs.text.utf8))
    }

    private static func compareNumbers(_ a: String, _ b: String) -> Int {
        if a.utf8.count != b.utf8.count { return a.utf8.count < b.utf8.count ? -1 : 1 }
        return a == b ? 0 : (a < b ? -1 : 1)
    }

    /// Dot-separated, non-empty, `[0-9A-Za-z-]` identifiers.
    private static func identifiers(_ text: Substring) -> [String]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) }) else { return nil }
        return parts.map(String.init)
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-")
    }

    private static func isNumeric(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isCanonicalNumber(_ text: String) -> Bool {
        isNumeric(text) && (text == "0" || !text.hasPrefix("0"))
    }
}
