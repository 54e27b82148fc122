import Testing
@testable import JSON

@Suite struct ObjectTests {
    @Test func settingExistingKeyKeepsPosition() throws {
        var object = try #require(try parse(#"{"a":1,"b":2,"c":3}"#).objectValue)
        object["b"] = .string("two")
        #expect(object.keys == ["a", "b", "c"])
        #expect(compact(.object(object)) == #"{"a":1,"b":"two","c":3}"#)
    }

    @Test func settingNewKeyAppends() throws {
        var object = try #require(try parse(#"{"z":1,"a":2}"#).objectValue)
        object["m"] = .integer(42)
        #expect(object.keys == ["z", "a", "m"])
        #expect(object.count == 3)
        #expect(compact(.object(object)) == #"{"z":1,"a":2,"m":42}"#)
    }

    @Test func removal() throws {
        var object = try #require(try parse(#"{"a":1,"b":2,"c":3}"#).objectValue)
        #expect(object.removeValue(forKey: "a") == .number("1"))
        #expect(object.removeValue(forKey: "missing") == nil)
        object["c"] = nil
        object["nope"] = nil
        #expect(object.keys == ["b"])
        // Positions must stay consistent after removing from the front.
        #expect(object["b"] == .number("2"))
        object["b"] = .null
        object["d"] = .bool(false)
        #expect(compact(.object(object)) == #"{"b":null,"d":false}"#)
    }

    @Test func sequenceYieldsPairsInOrder() {
        let object = JSONObject([("y", .null), ("x", .bool(true))])
        #expect(object.map(\.key) == ["y", "x"])
        #expect(object.map(\.value) == [.null, .bool(true)])
    }

    @Test func initWithRepeatedKeyReplacesInPlace() {
        let object = JSONObject([("a", .integer(1)), ("b", .integer(2)), ("a", .integer(3))])
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == .number("3"))
    }

    @Test func equalityIsOrderSensitive() {
        let ab = JSONObject([("a", .null), ("b", .null)])
        let ba = JSONObject([("b", .null), ("a", .null)])
        #expect(ab != ba)
        #expect(ab == JSONObject([("a", .null), ("b", .null)]))
        #expect(JSONObject() == JSONObject([]))
    }

    @Test func accessors() throws {
        let value = try parse(#"{"s":"x","b":true,"n":null,"a":[],"o":{}}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["b"]?.boolValue == true)
        #expect(value["n"]?.isNull == true)
        #expect(value["s"]?.isNull == false)
        #expect(value["a"]?.arrayValue == [])
        #expect(value["o"]?.objectValue == JSONObject())
        #expect(value["missing"] == nil)
        #expect(value["s"]?.boolValue == nil)
        #expect(JSONValue.string("x")["s"] == nil)
    }

    @Test(arguments: [
        ("42", Int64(42)), ("-0", 0), ("-9223372036854775808", .min), ("9223372036854775807", .max),
        ("9223372036854775808", nil), ("1.0", nil), ("1e2", nil), ("1E2", nil),
    ] as [(String, Int64?)])
    func int64Value(_ text: String, _ expected: Int64?) {
        #expect(JSONValue.number(text).int64Value == expected)
    }

    @Test func integerFactory() {
        #expect(JSONValue.integer(UInt64.max) == .number("18446744073709551615"))
        #expect(JSONValue.integer(-7) == .number("-7"))
        #expect(JSONValue.string("7").int64Value == nil)
    }
}
