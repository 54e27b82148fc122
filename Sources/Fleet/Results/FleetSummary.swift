import Foundation
import JSON
import OCI

/// The fan-in of `fleet run`'s result lines from every shard. Each item counts once, by its last
/// line (files in the order given, lines in file order): a shard run again after a kill reports
/// its items again, and the later report wins. Bytes and seconds add up every line, since each
/// line is work that was done. With the plan, items that no line reports are listed as missing.
public struct FleetSummary: Sendable {
    public let lines: Int
    /// Each item's last result, in the order items first appeared.
    public let items: [FleetResult]
    public let bytesUploaded: Int64
    public let totalSeconds: Double
    /// The median of the items' seconds (their last lines).
    public let medianSeconds: Double
    /// Plan items with no result line; nil without a plan.
    public let missing: [FleetPlanItem]?

    public init(results: [FleetResult], plan: FleetPlan? = nil) {
        lines = results.count
        var position: [String: Int] = [:]
        var items: [FleetResult] = []
        var bytes: Int64 = 0
        var seconds = 0.0
        for result in results {
            bytes = bytes.addingReportingOverflow(result.bytesUploaded).overflow ? Int64.max : bytes + result.bytesUploaded
            seconds += result.seconds
            if let index = position[result.id] {
                items[index] = result
            } else {
                position[result.id] = items.count
                items.append(result)
            }
        }
        self.items = items
        bytesUploaded = bytes
        totalSeconds = seconds
        let sorted = items.map(\.seconds).sorted()
        medianSeconds =
            sorted.isEmpty
            ? 0
            : (sorted.count % 2 == 1
                ? sorted[sorted.count / 2]
                : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        missing = plan.map { plan in plan.items.filter { position[$0.id] == nil } }
    }

    public func count(_ status: FleetResult.Status) -> Int { items.filter { $0.status == status }.count }
    public var failures: [FleetResult] { items.filter { $0.status == .failed } }

    public var json: JSONValue {
        var counts = JSONObject()
        for status in FleetResult.Status.allCases { counts[status.rawValue] = .integer(count(status)) }
        if let missing { counts["missing"] = .integer(missing.count) }
        var object = JSONObject([
            ("items", .integer(items.count)), ("lines", .integer(lines)), ("counts", .object(counts)),
            ("bytesUploaded", .integer(bytesUploaded)),
            (
                "seconds",
                .object(
                    JSONObject([
                        ("total", .number(FleetResult.secondsText(totalSeconds))),
                        ("median", .number(FleetResult.secondsText(medianSeconds))),
                    ]))
            ),
            (
                "failures",
                .array(
                    failures.map { failure in
                        .object(
                            JSONObject([
                                ("id", .string(failure.id)), ("source", .string(failure.source)),
                                ("target", .string(failure.target)), ("error", .string(failure.error ?? "")),
                            ]))
                    })
            ),
        ])
        if let missing {
            object["missing"] = .array(
                missing.map { item in
                    .object(
                        JSONObject([("id", .string(item.id)), ("sourceTag", .string(item.sourceTag)), ("target", .string(item.target))]))
                })
        }
        return .object(object)
    }

    /// The table for people, one string per line; fields from the result files are untrusted, so
    /// the caller escapes each line for the terminal.
    public var tableLines: [String] {
        var lines: [String] = []
        func row(_ name: String, _ value: String) { lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        for status in FleetResult.Status.allCases { row(status.rawValue, String(count(status))) }
        if let missing { row("missing", String(missing.count)) }
        let superseded = self.lines - items.count
        row(
            "items",
            "\(items.count)" + (superseded > 0 ? " (\(self.lines) lines; \(superseded) superseded by later lines for the same item)" : ""))
        row("uploaded", "\(Self.humanBytes(bytesUploaded)) (\(bytesUploaded) bytes)")
        row("seconds", "\(FleetResult.secondsText(totalSeconds)) in all, \(FleetResult.secondsText(medianSeconds)) median per item")
        if !failures.isEmpty {
            lines.append("")
            lines.append("failed:")
            for failure in failures { lines.append("  \(failure.id)  \(failure.source) -> \(failure.target): \(failure.error ?? "")") }
        }
        if let missing, !missing.isEmpty {
            lines.append("")
            lines.append("missing (in the plan, in no result file):")
            for item in missing { lines.append("  \(item.id)  \(item.sourceTag) -> \(item.target)") }
        }
        return lines
    }

    static func humanBytes(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit + 1 < units.count {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
