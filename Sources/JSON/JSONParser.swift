extension JSONValue {
    /// Parses one RFC 8259 document, strictly: no comments, trailing commas,
    /// duplicate keys, invalid UTF-8 or unpaired surrogates, since the input is
    /// untrusted and lenient parsers are where two consumers start to disagree.
    /// Containers nested deeper than `maxDepth` are rejected; the parser recurses
    /// once per level, so the limit is also what keeps hostile input from
    /// exhausting the stack.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 100) throws(JSONError) {
        let result =
            bytes.withContiguousStorageIfAvailable { JSONParser.parse($0, maxDepth: maxDepth) }
            ?? Array(bytes).withUnsafeBufferPointer { JSONParser.parse($0, maxDepth: maxDepth) }
        self = try result.get()
    }
}

/// Recursive descent over a byte buffer; Strings are only created for finished
/// keys, string values and number literals.
struct JSONParser {
    let input: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    var offset = 0

    private init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    static func parse(_ input: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONError> {
        var parser = JSONParser(input: input, maxDepth: maxDepth)
        do throws(JSONError) {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.offset == input.count else {
                throw parser.error("unexpected \(parser.describe(parser.offset)) after the top-level value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard offset < input.count else { throw error("unexpected end of input, expected a value") }
        switch input[offset] {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        default: throw error("expected a value but found \(describe(offset))")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONObject {
        try checkDepth(depth)
        offset += 1
        var object = JSONObject()
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return object }
        while true {
            guard peek() == UInt8(ascii: "\"") else {
                if object.count > 0 && peek() == UInt8(ascii: "}") {
                    throw error("trailing comma before '}'")
                }
                throw expected(object.count == 0 ? "a string key or '}'" : "a string key after ','")
            }
            let keyOffset = offset
            let key = try parseString()
            if object.containsKey(key) {
                let (line, column) = position(of: keyOffset)
                throw JSONError.duplicateKey(key, line: line, column: column)
            }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw expected("':' after object key") }
            skipWhitespace()
            object.appendNew(key, try parseValue(depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return object }
            guard consume(UInt8(ascii: ",")) else { throw expected("',' or '}' after object member") }
            skipWhitespace()
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
        try checkDepth(depth)
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return elements }
        while true {
            if !elements.isEmpty && peek() == UInt8(ascii: "]") {
                throw error("trailing comma before ']'")
            }
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return elements }
            guard consume(UInt8(ascii: ",")) else { throw expected("',' or ']' after array element") }
            skipWhitespace()
        }
    }

    private func checkDepth(_ depth: Int) throws(JSONError) {
        guard depth <= maxDepth else {
            throw error("nesting exceeds the maximum depth of \(maxDepth)")
        }
    }

    private mutating func parseNumber() throws(JSONError) -> String {
        let start = offset
        do {
            offset = try JSONNumberGrammar.scan(input, from: start)
        } catch {
            throw self.error(
                error.offset == input.count ? "unexpected end of input in number" : error.reason,
                at: error.offset)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: input[start..<offset]), as: UTF8.self)
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(JSONError) {
        let start = offset
        for (i, expectedByte) in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount).enumerated() {
            guard start + i < input.count else {
                throw error("unexpected end of input", at: start + i)
            }
            guard input[start + i] == expectedByte else {
                throw error("invalid literal, expected '\(literal)'", at: start)
            }
        }
        offset = start + literal.utf8CodeUnitCount
    }

    // MARK: Scanning helpers

    private mutating func skipWhitespace() {
        while offset < input.count {
            switch input[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): offset += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? {
        offset < input.count ? input[offset] : nil
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        offset += 1
        return true
    }

    // MARK: Errors

    private func expected(_ what: String) -> JSONError {
        error(offset < input.count ? "expected \(what)" : "unexpected end of input, expected \(what)")
    }

    func error(_ reason: String, at errorOffset: Int? = nil) -> JSONError {
        let (line, column) = position(of: errorOffset ?? offset)
        return JSONError(line: line, column: column, reason: reason)
    }

    /// Computed only when failing, so the hot path does not track lines. Everything
    /// before an error offset has been validated, so counting non-continuation
    /// bytes counts scalars.
    private func position(of errorOffset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in UnsafeBufferPointer(rebasing: input[..<min(errorOffset, input.count)]) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    private func describe(_ at: Int) -> String {
        at < input.count ? describeRaw(input[at]) : "end of input"
    }

    func describeRaw(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(hex(byte))"
    }

    func hex(_ byte: UInt8) -> String {
        let s = String(byte, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}
