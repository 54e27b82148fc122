import Foundation

/// How an entry chooses tags from its repository:
/// - `tags` and `match` together are a union: the tags listed, plus every tag of the repository
///   the regular expression finds a match in (it is searched, not anchored: write `^…$`);
/// - `latest: N` then keeps the N newest of those by semantic version (see `SemanticVersion`);
///   tags that are not versions have no place in that order and are dropped;
/// - with `latest` alone, the candidates are all the repository's tags.
/// The result is ordered newest first; tags that are not versions (kept when there is no
/// `latest`) follow, in bytewise order. Choosing no tag at all is an error.
public struct TagSelection: Sendable {
    public let tags: [String]?
    public let match: TagPattern?
    public let latest: Int?

    /// Whether the repository's tag list is needed: only a `tags` list alone can do without.
    public var needsTagList: Bool { match != nil || tags == nil }

    /// `available` is the repository's tag list (nil when `needsTagList` is false). A listed tag
    /// the repository does not have is an error when its list is known.
    public func select(from available: [String]?) throws(SelectionError) -> [String] {
        var candidates = Set<String>()
        if let tags {
            if let available {
                let known = Set(available)
                if let missing = tags.first(where: { !known.contains($0) }) {
                    throw SelectionError("tag \(missing.debugDescription) is not in the repository")
                }
            }
            candidates.formUnion(tags)
        }
        if let available {
            if let match {
                candidates.formUnion(available.filter { Self.isValidTag($0) && match.matches($0) })
            } else if tags == nil {
                candidates.formUnion(available.filter(Self.isValidTag))
            }
        }
        var versions = candidates.compactMap(SemanticVersion.init(tag:))
        versions.sort(by: SemanticVersion.newestFirst)
        let chosen: [String]
        if let latest {
            chosen = versions.prefix(latest).map(\.text)
        } else {
            let versionTags = Set(versions.map(\.text))
            let others = candidates.filter { !versionTags.contains($0) }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            chosen = versions.map(\.text) + others
        }
        guard !chosen.isEmpty else {
            let total = available.map { " (the repository has \($0.count) tags)" } ?? ""
            throw SelectionError(
                latest != nil && !candidates.isEmpty
                    ? "selects no tag: none of the \(candidates.count) candidate tags is a semantic version, which latest needs"
                    : "selects no tag\(total)")
        }
        return chosen
    }

    /// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWordByte(first) else { return false }
        return bytes.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
    }
}

public struct SelectionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// `match`: an ICU regular expression (NSRegularExpression's syntax), compiled when the file is
/// read so a bad one is an error there. Tags are at most 128 characters, which bounds the work of
/// one match.
public struct TagPattern: Sendable {
    public let pattern: String
    private let expression: NSRegularExpression

    public init(pattern: String) throws(SelectionError) {
        do { expression = try NSRegularExpression(pattern: pattern) } catch {
            throw SelectionError("\(pattern.debugDescription) is not a valid regular expression")
        }
        self.pattern = pattern
    }

    init(_ node: YAMLValue, at place: String, file: String) throws(FleetError) {
        let text = try node.text(at: place, file: file)
        do { try self.init(pattern: text) } catch { throw FleetError(file: file, place: place, error.description) }
    }

    public func matches(_ tag: String) -> Bool {
        expression.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
    }
}
