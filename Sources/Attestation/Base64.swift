/// Standard base64 (RFC 4648 §4, with padding), as cosign annotations, DSSE envelopes and cosign's key
/// JSON use it. Decoding is strict: any character outside the alphabet, or wrong padding, is refused.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let word = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((word >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let word = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            out.append(alphabet[Int((word >> 18) & 63)])
            out.append(alphabet[Int((word >> 12) & 63)])
            out.append(rest == 2 ? alphabet[Int((word >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil unless `text` is canonical padded base64 (unused bits of the last character must be zero).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let padding = isLast ? (input[index + 3] == UInt8(ascii: "=") ? (input[index + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
            var word: UInt32 = 0
            for offset in 0..<4 {
                let character = input[index + offset]
                if offset >= 4 - padding {
                    word <<= 6
                    continue
                }
                let value = values[Int(character)]
                guard value != 0xff else { return nil }
                word = word << 6 | UInt32(value)
            }
            out.append(UInt8(word >> 16))
            if padding < 2 { out.append(UInt8((word >> 8) & 0xff)) } else if word & 0xffff != 0 { return nil }
            if padding < 1 { out.append(UInt8(word & 0xff)) } else if word & 0xff != 0 { return nil }
            index += 4
        }
        return out
    }
}
