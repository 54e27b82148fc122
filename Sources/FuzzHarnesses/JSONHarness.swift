import JSON

/// Any bytes: the parser accepts or refuses them. What it accepts serializes to a document that
/// parses to the same value and serializes to the same bytes again, compact and indented.
enum JSONHarness {
    static func run(_ input: [UInt8]) throws {
        guard let value = try? JSONValue(parsing: input) else { return }
        let compact = value.serialized()
        try require(reparsed(compact) == value, "the compact serialization parses to another value: \(text(compact))")
        try require(reparsed(compact)?.serialized() == compact, "serializing is not stable: \(text(compact))")
        let indented = value.serialized(indent: 2)
        try require(reparsed(indented) == value, "the indented serialization parses to another value: \(text(indented))")
    }

    private static func reparsed(_ bytes: [UInt8]) -> JSONValue? { try? JSONValue(parsing: bytes) }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(400), as: UTF8.self).debugDescription }
}
