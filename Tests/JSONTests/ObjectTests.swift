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

    @Test("100k keys: parsed, looked up, edited and removed in linear time, order kept")
    func manyKeys() throws {
        let count = 100_000
        let text = "{" + (0..<count).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        var object = try #require(try parse(text).objectValue)
        #expect(object.count == count)
        #expect(object["k99999"] == .number("99999"))
        for i in stride(from: 0, to: count, by: 2) { object.removeValue(forKey: "k\(i)") }
        #expect(object.count == count / 2)
        #expect(object.keys.prefix(3) == ["k1", "k3", "k5"])
        object["k1"] = .null  // an existing key keeps its place
        object["k0"] = .bool(true)  // a removed key comes back at the end
        #expect(object.keys.first == "k1")
        #expect(object.keys.last == "k0")
        #expect(object["k1"] == .null)
        #expect(object["k2"] == nil)
        #expect(object["k99999"] == .number("99999"))
        var rebuilt = JSONObject()
        for (key, value) in object { rebuilt[key] = value }
        #expect(rebuilt == object)
        #expect(try parse(compact(.object(object))).objectValue == object)
        for key in object.keys { object[key] = nil }
        #expect(object.count == 0)
        #expect(object == JSONObject())
        #expect(compact(.object(object)) == "{}")
    }

    @Test func removalsThenEqualityAndOrder() {
        var object = JSONObject((0..<40).map { ("k\($0)", JSONValue.integer($0)) })
        for i in 0..<30 { object["k\(i)"] = nil }
        object["k5"] = .integer(5)
        #expect(object.keys == (30..<40).map { "k\($0)" } + ["k5"])
        #expect(object == JSONObject(((30..<40).map { ("k\($0)", JSONValue.integer($0)) }) + [("k5", .integer(5))]))
        #expect(object != JSONObject((30..<40).map { ("k\($0)", JSONValue.integer($0)) }))
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

    @Test(
        arguments: [
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
