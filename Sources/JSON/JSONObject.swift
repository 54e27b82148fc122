/// JSON object members in document order.
///
/// Equality is order-sensitive, matching the goal of preserving documents exactly.
/// Keys are compared with Swift `String` equality, i.e. canonically equivalent
/// spellings ("é" vs "e\u{301}") are the same key; the parser rejects such pairs as
/// duplicates rather than guess which one another consumer would pick.
///
/// Lookups, insertions, replacements and removals are amortized O(1), so
/// hostile input with many keys (100k labels) cannot make parsing or editing
/// quadratic: positions are indexed alongside the ordered storage, and a removal
/// leaves an empty slot instead of shifting the members after it. The slots are
/// compacted once at least half of them are empty.
public struct JSONObject: Equatable, Sendable, Sequence {
    public typealias Element = (key: String, value: JSONValue)

    /// Members in order; nil where one was removed.
    private var slots: [Element?] = []
    /// Where each key's member is in `slots`.
    private var positions: [String: Int] = [:]

    public init() {}

    /// A repeated key behaves like assigning through the subscript again: the later
    /// value replaces the earlier one at the earlier position.
    public init(_ pairs: [(String, JSONValue)]) {
        slots.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            self[key] = value
        }
    }

    public var keys: [String] { map(\.key) }

    public var count: Int { positions.count }

    public var underestimatedCount: Int { positions.count }

    public subscript(key: String) -> JSONValue? {
        get {
            positions[key].flatMap { slots[$0]?.value }
        }
        set {
            if let i = positions[key] {
                if let newValue {
                    slots[i] = (key, newValue)
                } else {
                    remove(at: i)
                }
            } else if let newValue {
                appendNew(key, newValue)
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = positions[key] else { return nil }
        let value = slots[i]?.value
        remove(at: i)
        return value
    }

    public struct Iterator: IteratorProtocol {
        fileprivate var slots: IndexingIterator<[Element?]>

        public mutating func next() -> Element? {
            while let slot = slots.next() {
                if let member = slot { return member }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(slots: slots.makeIterator())
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs) { $0.key == $1.key && $0.value == $1.value }
    }

    func containsKey(_ key: String) -> Bool {
        positions[key] != nil
    }

    /// For the parser, which has already rejected duplicates with a better error.
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        assert(positions[key] == nil, "appendNew with an existing key")
        positions[key] = slots.count
        slots.append((key, value))
    }

    private mutating func remove(at i: Int) {
        guard let key = slots[i]?.key else { return }
        positions[key] = nil
        slots[i] = nil
        if slots.count >= 16 && positions.count * 2 <= slots.count {
            compact()
        }
    }

    /// Drops the empty slots; O(n), run after at least n/2 removals.
    private mutating func compact() {
        let members: [Element] = slots.compactMap { $0 }
        slots = members
        for (i, member) in members.enumerated() {
            positions[member.key] = i
        }
    }
}
