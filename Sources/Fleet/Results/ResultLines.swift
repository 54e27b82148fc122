import JSON
import OCI

/// Reads `fleet run`'s JSON lines. Blank lines are skipped; any other line that is not a result
/// is an error naming the file and the line number.
public enum ResultLines {
    /// A result line is a few hundred bytes; an error in it is bounded by `fleet run`.
    public static let maxLineBytes = 1 << 20
    public static let maxLines = 1_000_000

    /// `bytes` is the whole content of `file`; `plan`, when given, must hold every id.
    public static func parse(
        _ bytes: [UInt8], file: String, plan: FleetPlan? = nil,
        into results: inout [FleetResult]
    ) throws(FleetError) {
        let known = plan.map { Set($0.items.map(\.id)) }
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { start = end + 1 }
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            let place = String(lineNumber)
            guard line.count <= maxLineBytes else { throw FleetError(file: file, place: place, "is longer than \(maxLineBytes) bytes") }
            guard results.count < maxLines else { throw FleetError(file: file, place: place, "more than \(maxLines) result lines in all") }
            let value: JSONValue
            do { value = try JSONValue(parsing: Array(line)) } catch {
                throw FleetError(file: file, place: place, "is not a result line: \(error)")
            }
            let result: FleetResult
            do { result = try FleetResult(json: value) } catch {
                throw FleetError(file: file, place: place, "is not a result line: \(error)")
            }
            if let known, !known.contains(result.id) {
                throw FleetError(file: file, place: place, "item \(result.id) is not in the plan")
            }
            results.append(result)
        }
    }
}
