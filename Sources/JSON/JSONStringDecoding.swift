extension JSONParser {
    /// Validates and decodes in one pass. Escape-free strings (the vast majority in
    /// manifests) are turned into a String straight from the input slice.
    mutating func parseString() throws(JSONError) -> String {
        offset += 1
        var segmentStart = offset
        // Stays unallocated unless an escape shows up.
        var decoded: [UInt8] = []
        var sawEscape = false
        while true {
            guard offset < input.count else { throw error("unexpected end of input in string") }
            let byte = input[offset]
            if byte == UInt8(ascii: "\"") {
                let tail = UnsafeBufferPointer(rebasing: input[segmentStart..<offset])
                offset += 1
                guard sawEscape else { return String(decoding: tail, as: UTF8.self) }
                decoded.append(contentsOf: tail)
                return String(decoding: decoded, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                sawEscape = true
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: input[segmentStart..<offset]))
                try parseEscape(into: &decoded)
                segmentStart = offset
            } else if byte < 0x20 {
                throw error("unescaped control character U+00\(hex(byte)) in string")
            } else if byte < 0x80 {
                offset += 1
            } else {
                try skipUTF8Sequence()
            }
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        let start = offset
        guard offset + 1 < input.count else { throw error("unexpected end of input in string", at: input.count) }
        let byte = input[offset + 1]
        offset += 2
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
        case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
        case UInt8(ascii: "u"):
            let unit = try parseHex4(escapeStart: start)
            var scalar: Unicode.Scalar
            switch unit {
            case 0xD800...0xDBFF:
                guard offset + 1 < input.count, input[offset] == UInt8(ascii: "\\"), input[offset + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired high surrogate in \\u escape", at: start)
                }
                let lowStart = offset
                offset += 2
                let low = try parseHex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("unpaired high surrogate in \\u escape", at: start)
                }
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))!
            case 0xDC00...0xDFFF:
                throw error("unpaired low surrogate in \\u escape", at: start)
            default:
                scalar = Unicode.Scalar(unit)!
            }
            out.append(contentsOf: UTF8.encode(scalar)!)
        default:
            let reason =
                (0x21...0x7E).contains(byte)
                ? "invalid escape sequence '\\\(Character(Unicode.Scalar(byte)))' in string"
                : "invalid escape sequence, backslash followed by \(describeRaw(byte))"
            throw error(reason, at: start)
        }
    }

    private mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard offset < input.count else { throw error("unexpected end of input in string") }
            let byte = input[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape, expected 4 hex digits", at: escapeStart)
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    /// Accepts exactly the well-formed sequences of RFC 3629 (no overlongs, no
    /// encoded surrogates, nothing above U+10FFFF), so the String built from the
    /// slice afterwards never silently substitutes U+FFFD.
    private mutating func skipUTF8Sequence() throws(JSONError) {
        let lead = input[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8 byte 0x\(hex(lead)) in string")
        }
        for i in 1..<length {
            guard offset + i < input.count else { throw error("unexpected end of input in string", at: input.count) }
            let byte = input[offset + i]
            guard (i == 1 ? secondRange : 0x80...0xBF).contains(byte) else {
                throw error("invalid UTF-8 sequence in string")
            }
        }
        offset += length
    }
}
