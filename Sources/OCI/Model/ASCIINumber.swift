/// Numbers from headers, challenges, the environment and the command line are written in ASCII
/// digits by every honest sender. `Int(_:)` takes a sign, and `Character.isNumber` and
/// `wholeNumberValue` take full-width and other Unicode digits (or trap when mixed), so every such
/// number is parsed here: ASCII digits only, no sign, and a range check instead of an overflow.
public enum ASCIINumber {
    /// The value of `text` when it is 1 to 18 ASCII digits and within `range`; otherwise nil.
    public static func parse<S: StringProtocol>(_ text: S, in range: ClosedRange<Int64> = 0...Int64.max) -> Int64? {
        let bytes = text.utf8
        guard bytes.count <= 18, isDigits(text) else { return nil }
        // At most 18 digits: no overflow.
        let value = bytes.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        return range.contains(value) ? value : nil
    }

    /// Whether `text` is only ASCII digits (possibly too many for `parse`): a long Retry-After is
    /// still a number, just one to cap.
    public static func isDigits<S: StringProtocol>(_ text: S) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy(isDigit)
    }

    public static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
