import OCI

/// Numbers users type or set in the environment (`SOURCE_DATE_EPOCH`, `--timeout`, sizes): ASCII
/// digits only and a range check, so a mistyped or hostile value is one clear error, never a trap.
/// (`Int64(_:)` takes a sign, and `Character.isNumber` takes full-width and other Unicode digits.)
public enum CommandLineNumbers {
    /// SIZE: bytes, or a number with a binary suffix (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, `T`/`TiB`),
    /// from 1 byte to 1 PiB.
    public static func size(_ text: String, option: String) throws -> Int64 {
        let digits = text.utf8.prefix(while: ASCIINumber.isDigit)
        let suffix = String(decoding: text.utf8.dropFirst(digits.count), as: UTF8.self)
        let multiplier: Int64? =
            switch suffix {
            case "", "B": 1
            case "K", "KiB": 1 << 10
            case "M", "MiB": 1 << 20
            case "G", "GiB": 1 << 30
            case "T", "TiB": 1 << 40
            default: nil
            }
        guard let multiplier, let count = ASCIINumber.parse(String(decoding: digits, as: UTF8.self), in: 1...(maxSize / multiplier)) else {
            throw PatchError.invalidOption(
                option,
                "\(text.debugDescription) is not a size from 1 byte to 1 PiB (bytes, or a number with K, M, G or T; these are powers of 1024)"
            )
        }
        return count * multiplier
    }

    public static let maxSize: Int64 = 1 << 50

    /// DURATION: seconds (`90`, `0.5`), or numbers with units as Go writes them (`90s`, `10m`,
    /// `1h30m`, `500ms`), from one millisecond to 365 days.
    public static func duration(_ text: String, option: String) throws -> Duration {
        guard let nanoseconds = nanoseconds(text), (1_000_000...maxNanoseconds).contains(nanoseconds) else {
            throw PatchError.invalidOption(
                option, "\(text.debugDescription) is not a duration from 1ms to 365 days (such as 90s, 10m, 1h30m or a number of seconds)")
        }
        return .nanoseconds(nanoseconds)
    }

    private static let maxNanoseconds: Int64 = 365 * 86_400 * 1_000_000_000

    private static func nanoseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        if !rest.isEmpty, rest.utf8.allSatisfy({ ASCIINumber.isDigit($0) || $0 == UInt8(ascii: ".") }) { rest += "s" }
        var total: Int64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { ASCIINumber.isDigit($0.asciiValue ?? 0) }
            rest = rest.dropFirst(whole.count)
            var fraction = Substring("")
            if rest.first == "." {
                fraction = rest.dropFirst().prefix { ASCIINumber.isDigit($0.asciiValue ?? 0) }
                rest = rest.dropFirst(1 + fraction.count)
            }
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Int64? =
                switch unit {
                case "h": 3_600_000_000_000
                case "m": 60_000_000_000
                case "s": 1_000_000_000
                case "ms": 1_000_000
                default: nil
                }
            guard let scale, !whole.isEmpty || !fraction.isEmpty, fraction.count <= 9,
                let wholeValue = whole.isEmpty ? 0 : ASCIINumber.parse(whole, in: 0...(maxNanoseconds / scale)),
                let fractionValue = fraction.isEmpty ? 0 : ASCIINumber.parse(fraction, in: 0...999_999_999)
            else { return nil }
            var fractionScale: Int64 = 1
            for _ in 0..<fraction.count { fractionScale *= 10 }
            // Each term is at most a year, and the total is checked after each: no overflow.
            total += wholeValue * scale + fractionValue * (scale / fractionScale)
            guard total <= maxNanoseconds else { return nil }
        }
        return total
    }

}
