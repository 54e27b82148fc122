/// A JSON document that remembers how it was written where that matters for
/// editing: object members keep their order and numbers keep their literal text,
/// so re-serializing an edited document leaves untouched fields byte-identical
/// (apart from insignificant whitespace and string escapes, which are normalized).
public enum JSONValue: Equatable, Sendable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    /// The literal text of the number. Kept as text so `1.50`, `1e3` and integers
    /// beyond Double precision survive a round trip. It must follow the JSON number
    /// grammar; serializing anything else is a programming error and traps, because
    /// emitting it raw could inject arbitrary JSON.
    case number(String)
    case bool(Bool)
    case null
}

extension JSONValue {
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Nil for `1.0` or `1e2` even though they are integral: a caller asking for an
    /// integer field should notice that the document did not write one.
    public var int64Value: Int64? {
        guard case .number(let text) = self,
            !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        else { return nil }
        return Int64(text)
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public static func integer(_ v: some BinaryInteger) -> JSONValue {
        .number(String(v))
    }
}

extension JSONValue {
    /// What kind of value this is, for errors about a field of the wrong type ("is a string, not an array").
    public var kindDescription: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
