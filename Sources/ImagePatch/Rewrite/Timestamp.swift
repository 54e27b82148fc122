import Glibc
import OCI

/// RFC 3339 UTC time, the format of `created` in image configs.
public enum Timestamp {
    /// From 1970 to the end of year 9999: RFC 3339 has four-digit years, and `tm_year` would
    /// overflow (a trap) far beyond it.
    public static let validSeconds: ClosedRange<Int64> = 0...253_402_300_799

    /// `seconds` is clamped to `validSeconds` (callers check it first, with an error naming the source).
    public static func rfc3339(_ seconds: Int64) -> String {
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

    /// Whole seconds since 1970 of an RFC 3339 time (`2024-05-01T12:00:00.123Z`, `…+02:00`), or
    /// nil for anything else: a config's `created` is untrusted text, and one that cannot be read
    /// only stops counting towards the derived time.
    static func seconds(rfc3339 text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 64 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ ASCIINumber.isDigit(bytes[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int64(bytes[$1] - 48) }
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
            let day = number(8..<10), bytes[10] == 84 || bytes[10] == 116, let hour = number(11..<13), bytes[13] == 58,
            let minute = number(14..<16), bytes[16] == 58, let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        if bytes[index] == 46 {  // fraction: dropped
            index += 1
            let start = index
            while index < bytes.count, ASCIINumber.isDigit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case 90, 122: guard index + 1 == bytes.count else { return nil }  // Z
        case 43, 45:  // +hh:mm, -hh:mm
            guard index + 6 == bytes.count, let hours = number(index + 1..<index + 3), bytes[index + 3] == 58,
                let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == 43 ? 1 : -1)
        default: return nil
        }
        // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return validSeconds.contains(seconds) ? seconds : nil
    }

    /// The time a patched image records when `SOURCE_DATE_EPOCH` is not set: the later of its
    /// inputs' `created`, so the same source, agent and settings always give the same digest.
    /// Inputs without a readable time count as 1970.
    static func derived(from configs: [ImageConfig]) -> Int64 {
        configs.compactMap { $0.json["created"]?.stringValue.flatMap { seconds(rfc3339: $0) } }.max() ?? 0
    }
}
