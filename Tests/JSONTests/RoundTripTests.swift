import Foundation
import Testing

@testable import JSON

@Suite struct RoundTripTests {
    @Test func keepsKeyOrderAndNumberText() throws {
        let input = #"{"b":1.50,"a":[1e3,-0,true,null],"c":{"z":"\u00e9\n"}}"#
        let value = try parse(input)
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["b"] == .number("1.50"))
        #expect(value["a"]?.arrayValue == [.number("1e3"), .number("-0"), .bool(true), .null])
        // Escapes are normalized (é raw, \n kept as an escape); everything else is byte-identical.
        #expect(compact(value) == #"{"b":1.50,"a":[1e3,-0,true,null],"c":{"z":"é\n"}}"#)
        #expect(try parse(compact(value)) == value)
    }

    @Test func compactOutputDropsInsignificantWhitespace() throws {
        let value = try parse(" {\r\n\t\"z\" : [ 1 , 2.0E+10 ] ,\n \"a\" : { } , \"m\":[ ]}\n ")
        #expect(compact(value) == #"{"z":[1,2.0E+10],"a":{},"m":[]}"#)
    }

    @Test(arguments: [
        "0", "-0", "123", "-1.25e-7", "1E400", "12345678901234567890123456789",
        "0.1000000000000000055511151231257827", "true", "false", "null", #""""#, "[]", "{}",
    ])
    func scalarDocumentsRoundTripExactly(_ text: String) throws {
        #expect(compact(try parse(text)) == text)
    }

    @Test func preservesNonNormalizedStrings() throws {
        // Decomposed é must not be silently NFC-normalized on the way through.
        let decomposed = "\"e\u{301}\""
        let value = try parse(decomposed)
        #expect(Array(value.serialized()) == Array(decomposed.utf8))
    }

    @Test func acceptsDataAndNonContiguousCollections() throws {
        let text = #"{"k":[1,"v"]}"#
        let fromData = try JSONValue(parsing: Data(text.utf8))
        let fromBytes = try JSONValue(parsing: [UInt8](text.utf8))
        let fromAny = try JSONValue(parsing: AnyCollection(text.utf8))
        let fromSlice = try JSONValue(parsing: Data("xx\(text)".utf8).dropFirst(2))
        #expect(fromData == fromBytes)
        #expect(fromAny == fromBytes)
        #expect(fromSlice == fromBytes)
    }

    @Test func largeDocumentRoundTrips() throws {
        // A few MB of layers, shaped like a big manifest.
        var text = #"{"schemaVersion":2,"layers":["#
        for i in 0..<40_000 {
            if i > 0 { text += "," }
            text +=
                #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\#(i)","size":\#(i * 1000),"annotations":{"k\u00e9y":"v\n\#(i)"}}"#
        }
        text += "]}"
        let value = try parse(text)
        #expect(value["layers"]?.arrayValue?.count == 40_000)
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }
}
