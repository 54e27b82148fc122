import Testing

@testable import JSON

@Suite struct UnicodeTests {
    @Test(
        arguments: [
            (#""\u00e9""#, [0xE9]),
            (#""\u00E9""#, [0xE9]),
            (#""\uD83D\uDE00""#, [0x1F600]),
            (#""\ud83d\ude00""#, [0x1F600]),
            (#""\uDBFF\uDFFF""#, [0x10FFFF]),
            (#""\u0000""#, [0]),
            (#""\uFFFF""#, [0xFFFF]),
            (#""a\/b""#, [0x61, 0x2F, 0x62]),
            (#""é😀""#, [0xE9, 0x1F600]),
            (#""x\u0041\n""#, [0x78, 0x41, 0x0A]),
        ] as [(String, [UInt32])])
    func escapesDecodeToScalars(_ text: String, _ scalars: [UInt32]) throws {
        let decoded = try #require(try parse(text).stringValue)
        #expect(decoded.unicodeScalars.map(\.value) == scalars)
    }

    @Test func surrogatePairInKeyRoundTrips() throws {
        let value = try parse(#"{"\uD83D\uDE00":1}"#)
        #expect(value.objectValue?.keys == ["😀"])
        #expect(compact(value) == #"{"😀":1}"#)
    }
}
