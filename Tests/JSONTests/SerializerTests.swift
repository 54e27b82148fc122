import Testing

@testable import JSON

@Suite struct SerializerTests {
    @Test func prettyPrintsExactText() throws {
        let value = try parse(#"{"name":"app","tags":["a",1.0],"empty":{},"none":[],"nested":{"k":null}}"#)
        let expected = """
            {
              "name": "app",
              "tags": [
                "a",
                1.0
              ],
              "empty": {},
              "none": [],
              "nested": {
                "k": null
              }
            }
            """
        #expect(pretty(value) == expected)
        #expect(try parse(pretty(value)) == value)
    }

    @Test func prettyWithOtherIndents() throws {
        let value = try parse(#"{"a":[true]}"#)
        #expect(pretty(value, indent: 4) == "{\n    \"a\": [\n        true\n    ]\n}")
        #expect(pretty(value, indent: 0) == "{\n\"a\": [\ntrue\n]\n}")
        #expect(pretty(.array([])) == "[]")
        #expect(pretty(.number("3")) == "3")
    }

    @Test func stringEscaping() {
        let value = JSONValue.string("\"\\\u{08}\u{0C}\n\r\t\u{01}\u{1F}/é\u{7F}😀")
        #expect(compact(value) == #""\"\\\b\f\n\r\t\u0001\u001f/é\#u{7F}😀""#)
    }

    @Test func keysAreEscapedToo() {
        let value = JSONValue.object(JSONObject([("a\"b\n", .null)]))
        #expect(compact(value) == #"{"a\"b\n":null}"#)
    }
}
