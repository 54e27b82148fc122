import Glibc

/// RFC 3339 UTC time, the format of `created` in image configs.
public enum Timestamp {
    /// From 1970 to the end of year 9999: RFC 3339 has four-digit years, and `tm_year` would
    /// overflow (a trap) far beyond it.
    public static let validSeconds: ClosedRange<Int64> = 0...253_402_300_799

    /// `seconds` is clamped to `validSeconds` (callers check it first, with an error naming the source).
    static func rfc3339(_ seconds: Int64) -> String {
        var time = time_t(min(max(seconds, validSeconds.lowerBound), validSeconds.upperBound))
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }

    static func now() -> Int64 { Int64(time(nil)) }
}
