import Testing

@testable import JSON

struct Malformed: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let line: Int
    let column: Int
    let reason: String

    init(_ name: String, _ text: String, _ line: Int, _ column: Int, _ reason: String) {
        self.init(name, Array(text.utf8), line, column, reason)
    }

    init(_ name: String, _ bytes: [UInt8], _ line: Int, _ column: Int, _ reason: String) {
        self.name = name
        self.bytes = bytes
        self.line = line
        self.column = column
        self.reason = reason
    }

    var testDescription: String { name }
}

@Suite struct MalformedTests {
    static let cases: [Malformed] = [
        Malformed("empty", "", 1, 1, "unexpected end of input, expected a value"),
        Malformed("whitespace only", " \n ", 2, 2, "unexpected end of input, expected a value"),
        Malformed("truncated array", #"{"a": [1, 2"#, 1, 12, "unexpected end of input, expected ',' or ']' after array element"),
        Malformed("truncated object", #"{"a": 1"#, 1, 8, "unexpected end of input, expected ',' or '}' after object member"),
        Malformed("truncated after colon", #"{"a":"#, 1, 6, "unexpected end of input, expected a value"),
        Malformed("truncated string", #"["abc"#, 1, 6, "unexpected end of input in string"),
        Malformed("truncated escape", #"["a\u00"#, 1, 8, "unexpected end of input in string"),
        Malformed("truncated literal", "[tru", 1, 5, "unexpected end of input"),
        Malformed("trailing comma in object", #"{"a": 1,}"#, 1, 9, "trailing comma before '}'"),
        Malformed("trailing comma in array", "[1, 2,]", 1, 7, "trailing comma before ']'"),
        Malformed("leading zero", "[01]", 1, 3, "leading zeros are not allowed in numbers"),
        Malformed("leading zero negative", "-007", 1, 3, "leading zeros are not allowed in numbers"),
        Malformed("bare minus", "-", 1, 2, "unexpected end of input in number"),
        Malformed("bare minus in array", "[-]", 1, 3, "expected digit after '-'"),
        Malformed("missing fraction digits", "[1.]", 1, 4, "expected digit after decimal point"),
        Malformed("missing exponent digits", "1e+", 1, 4, "unexpected end of input in number"),
        Malformed("leading dot", "[.5]", 1, 2, "expected a value but found '.'"),
        Malformed("leading plus", "+1", 1, 1, "expected a value but found '+'"),
        Malformed("bad escape", #""a\x""#, 1, 3, #"invalid escape sequence '\x' in string"#),
        Malformed("escaped newline", "\"a\\\n\"", 1, 3, "invalid escape sequence, backslash followed by byte 0x0A"),
        Malformed("short unicode escape", #""\u12G4""#, 1, 2, #"invalid \u escape, expected 4 hex digits"#),
        Malformed("raw newline in string", "[\"a\nb\"]", 1, 4, "unescaped control character U+000A in string"),
        Malformed("raw tab in string", "\"a\tb\"", 1, 3, "unescaped control character U+0009 in string"),
        Malformed("trailing garbage", "{} x", 1, 4, "unexpected 'x' after the top-level value"),
        Malformed("two documents", "1 2", 1, 3, "unexpected '2' after the top-level value"),
        Malformed("number followed by letter", "12a", 1, 3, "unexpected 'a' after the top-level value"),
        Malformed("invalid literal", "[nul]", 1, 2, "invalid literal, expected 'null'"),
        Malformed("missing colon", #"{"a" 1}"#, 1, 6, "expected ':' after object key"),
        Malformed("non-string key", "{1:2}", 1, 2, "expected a string key or '}'"),
        Malformed("missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}' after object member"),
        Malformed("column counts scalars", "[\"é😀\" x]", 1, 7, "expected ',' or ']' after array element"),
        Malformed("single quotes", "['a']", 1, 2, "expected a value but found '''"),
        Malformed("comment", "[1 // c\n]", 1, 4, "expected ',' or ']' after array element"),
        Malformed(
            "too deep", String(repeating: "[", count: 101) + String(repeating: "]", count: 101),
            1, 101, "nesting exceeds the maximum depth of 100"),
        Malformed("too deep objects", String(repeating: #"{"a":"#, count: 101), 1, 501, "nesting exceeds the maximum depth of 100"),
        Malformed("lone high surrogate", #""\uD800""#, 1, 2, #"unpaired high surrogate in \u escape"#),
        Malformed("high surrogate then non-low", #""\uD800\u0041""#, 1, 2, #"unpaired high surrogate in \u escape"#),
        Malformed("high surrogate then high", #""x\uD800\uD800""#, 1, 3, #"unpaired high surrogate in \u escape"#),
        Malformed("lone low surrogate", #""\uDC00""#, 1, 2, #"unpaired low surrogate in \u escape"#),
        Malformed("invalid UTF-8 continuation", [0x22, 0x61, 0xC3, 0x28, 0x22], 1, 3, "invalid UTF-8 sequence in string"),
        Malformed("stray continuation byte", [0x22, 0x80, 0x22], 1, 2, "invalid UTF-8 byte 0x80 in string"),
        Malformed("overlong encoding", [0x22, 0xC0, 0xAF, 0x22], 1, 2, "invalid UTF-8 byte 0xC0 in string"),
        Malformed("overlong three-byte", [0x22, 0xE0, 0x80, 0xAF, 0x22], 1, 2, "invalid UTF-8 sequence in string"),
        Malformed("encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], 1, 2, "invalid UTF-8 sequence in string"),
        Malformed("above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, 2, "invalid UTF-8 sequence in string"),
        Malformed("0xFF byte", [0x22, 0xFF, 0x22], 1, 2, "invalid UTF-8 byte 0xFF in string"),
        Malformed("truncated UTF-8", [0x22, 0xE2, 0x82], 1, 3, "unexpected end of input in string"),
        Malformed("non-ASCII outside string", [0x5B, 0xC3, 0xA9, 0x5D], 1, 2, "expected a value but found byte 0xC3"),
        Malformed("byte order mark", [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 1, 1, "expected a value but found byte 0xEF"),
    ]

    @Test(arguments: cases)
    func rejected(_ c: Malformed) {
        #expect {
            _ = try JSONValue(parsing: c.bytes)
        } throws: { error in
            guard let error = error as? JSONError else { return false }
            #expect(error.reason == c.reason)
            #expect(error.line == c.line)
            #expect(error.column == c.column)
            #expect(error.description == "invalid JSON at line \(c.line), column \(c.column): \(c.reason)")
            return true
        }
    }

    @Test func duplicateKeyRejected() {
        #expect(throws: JSONError.self) { try parse(#"{"x":1,"x":2}"#) }
        do {
            _ = try parse("{\"a\":{\"x\":1,\n \"x\":[]}}")
            Issue.record("expected a duplicate key error")
        } catch {
            #expect(error.description == #"duplicate key "x" at line 2, column 2"#)
            #expect(error.line == 2)
            #expect(error.column == 2)
        }
        // Same key in sibling objects is fine.
        #expect((try? parse(#"[{"x":1},{"x":2}]"#)) != nil)
    }

    @Test func duplicateKeyMessageIsEscapedAndBounded() throws {
        let key = "\n" + String(repeating: "k", count: 500)
        let error = try #require(throws: JSONError.self) {
            try parse("{\"\\n\(key.dropFirst())\":1,\"\\n\(key.dropFirst())\":2}")
        }
        #expect(!error.description.contains("\n"))
        #expect(error.description.count < 120)
    }

    @Test func depthLimitIsInclusive() throws {
        let nested = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? parse(nested)) != nil)
        #expect((try? parse("[[1]]", maxDepth: 2)) != nil)
        #expect(throws: JSONError.self) { try parse("[[1]]", maxDepth: 1) }
        #expect((try? parse("1", maxDepth: 0)) != nil)
        #expect(throws: JSONError.self) { try parse("{}", maxDepth: 0) }
    }

    @Test func hostileDepthDoesNotCrash() {
        let bytes = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONError.self) { try JSONValue(parsing: bytes) }
    }
}
