/// The RFC 8259 number grammar, shared by the parser (to find where a literal ends)
/// and the serializer (to refuse `.number` text that would not be JSON).
enum JSONNumberGrammar {
    struct Violation: Error {
        let offset: Int
        let reason: String
    }

    /// Returns the offset just past the longest valid number starting at `start`.
    /// What follows it is the caller's business, so "1x" scans as "1".
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(Violation) -> Int {
        var i = start
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] &- UInt8(ascii: "0") < 10
        }
        func skipDigits() {
            while isDigit(i) { i += 1 }
        }

        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            i += 1
        }
        guard isDigit(i) else {
            throw Violation(offset: i, reason: i > start ? "expected digit after '-'" : "expected digit")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) {
                throw Violation(offset: i, reason: "leading zeros are not allowed in numbers")
            }
        } else {
            skipDigits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw Violation(offset: i, reason: "expected digit after decimal point") }
            skipDigits()
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                i += 1
            }
            guard isDigit(i) else { throw Violation(offset: i, reason: "expected digit in exponent") }
            skipDigits()
        }
        return i
    }

    static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let end = try? scan(bytes, from: 0) else { return false }
            return end == bytes.count
        }
    }
}
