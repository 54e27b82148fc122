/// JSON object members in document order.
///
/// Equality is order-sensitive, matching the goal of preserving documents exactly.
/// Keys are compared with Swift `String` equality, i.e. canonically equivalent
/// spellings ("é" vs "e\u{301}") are the same key; the parser rejects such pairs as
/// duplicates rather than guess which one another consumer would pick.
public struct JSONObject: Equatable, Sendable, Sequence {
    public typealias Element = (key: String, value: JSONValue)

    private var members: [Element] = []
    // Lookup and duplicate detection must not be quadratic on hostile input with
    // many keys, so positions are indexed alongside the ordered storage.
    private var positions: [String: Int] = [:]

    public init() {}

    /// A repeated key behaves like assigning through the subscript again: the later
    /// value replaces the earlier one at the earlier position.
    public init(_ pairs: [(String, JSONValue)]) {
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            self[key] = value
        }
    }

    public var keys: [String] { members.map(\.key) }

    public var count: Int { members.count }

    public var underestimatedCount: Int { members.count }

    public subscript(key: String) -> JSONValue? {
        get {
            positions[key].map { members[$0].value }
        }
        set {
            if let i = positions[key] {
                if let newValue {
                    members[i].value = newValue
                } else {
                    remove(at: i)
                }
            } else if let newValue {
                positions[key] = members.count
                members.append((key, newValue))
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = positions[key] else { return nil }
        let value = members[i].value
        remove(at: i)
        return value
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    func containsKey(_ key: String) -> Bool {
        positions[key] != nil
    }

    /// For the parser, which has already rejected duplicates with a better error.
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        assert(positions[key] == nil, "appendNew with an existing key")
        positions[key] = members.count
        members.append((key, value))
    }

    private mutating func remove(at i: Int) {
        positions[members[i].key] = nil
        members.remove(at: i)
        for j in i..<members.count {
            positions[members[j].key] = j
        }
    }
}
