import Fleet
import JSON
import OCI
import Testing

@Suite("Fleet: result lines and summaries")
struct FleetSummaryTests {
    static let digest = Digest.sha256(of: Array("x".utf8))

    static func result(_ id: String, _ status: FleetResult.Status, bytes: Int64 = 0, seconds: Double = 1, error: String? = nil)
        -> FleetResult
    {
        FleetResult(
            id: id, source: "r.example/a@\(digest)", target: "r.example/a-p:\(id)", status: status,
            digest: status == .failed ? nil : digest, bytesUploaded: bytes, seconds: seconds, error: error)
    }

    @Test("a result line is written in the documented key order and reads back the same")
    func roundTrip() throws {
        let failed = Self.result("b", .failed, bytes: 10, seconds: 0.25, error: "r.example refused to …")
        #expect(
            failed.jsonLine()
                == #"{"id":"b","source":"r.example/a@\#(Self.digest)","target":"r.example/a-p:b","status":"failed","digest":null,"bytesUploaded":10,"seconds":0.250,"error":"r.example refused to …"}"#
        )
        let patched = Self.result("a", .patched, bytes: 1234, seconds: 2)
        #expect(!patched.jsonLine().contains("error"))
        for result in [failed, patched, Self.result("c", .upToDate)] {
            #expect(try FleetResult(json: try JSONValue(parsing: Array(result.jsonLine().utf8))) == result)
        }
    }

    @Test(
        "bad lines name the file and the line",
        arguments: [
            ("\n{\"id\":1}", "r.jsonl:2: is not a result line: id is missing or not a string"),
            ("not json", "r.jsonl:1: is not a result line: invalid JSON at line 1, column 1: "),
            (
                #"{"id":"a","source":"s","target":"t","status":"done","digest":null,"bytesUploaded":0,"seconds":1}"#,
                #"r.jsonl:1: is not a result line: status "done" is not one of patched, up-to-date, failed"#
            ),
            (
                #"{"id":"a","source":"s","target":"t","status":"patched","digest":null,"bytesUploaded":0,"seconds":1}"#,
                "r.jsonl:1: is not a result line: digest is missing for a patched item"
            ),
            (
                #"{"id":"a","source":"s","target":"t","status":"failed","digest":null,"bytesUploaded":-1,"seconds":1,"error":"e"}"#,
                "r.jsonl:1: is not a result line: bytesUploaded is missing or not a whole number of bytes"
            ),
            (
                #"{"id":"a","source":"s","target":"t","status":"failed","digest":null,"bytesUploaded":0,"seconds":1}"#,
                "r.jsonl:1: is not a result line: a failed item has no error"
            ),
        ])
    func badLines(text: String, expected: String) {
        var results: [FleetResult] = []
        do {
            try ResultLines.parse(Array(text.utf8), file: "r.jsonl", into: &results)
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".hasPrefix(expected), "\(error)")
        }
    }

    @Test("the last line of an item wins; bytes and seconds add up every line; the median is of items")
    func fold() throws {
        let lines = [
            Self.result("a", .failed, bytes: 100, seconds: 9, error: "boom"), Self.result("b", .patched, bytes: 1000, seconds: 1),
            Self.result("c", .upToDate, seconds: 3), Self.result("d", .failed, seconds: 4, error: "no \u{1b}[2J space"),
            Self.result("a", .upToDate, bytes: 0, seconds: 2),
        ]
        var parsed: [FleetResult] = []
        try ResultLines.parse(Array((lines.map { $0.jsonLine() }.joined(separator: "\n") + "\n\n").utf8), file: "r", into: &parsed)
        let summary = FleetSummary(results: parsed)
        #expect(summary.lines == 5 && summary.items.count == 4)
        #expect(summary.count(.patched) == 1 && summary.count(.upToDate) == 2 && summary.count(.failed) == 1)
        #expect(summary.bytesUploaded == 1100)
        #expect(summary.totalSeconds == 19)
        #expect(summary.medianSeconds == 2.5)  // a 2, b 1, c 3, d 4
        #expect(summary.failures.map(\.id) == ["d"])
        let json = String(decoding: summary.json.serialized(), as: UTF8.self)
        #expect(
            json.hasPrefix(
                #"{"items":4,"lines":5,"counts":{"patched":1,"up-to-date":2,"failed":1},"bytesUploaded":1100,"seconds":{"total":19.000,"median":2.500},"failures":[{"id":"d","#
            ))
        #expect(summary.tableLines.contains("failed      1"))
        #expect(summary.tableLines.contains { $0.contains("d  r.example/a@") && $0.contains("no \u{1b}[2J space") })
    }

    @Test("with the plan: items without a line are missing, lines for other items are refused")
    func withPlan() throws {
        let items = ["1", "2", "3"].map {
            FleetPlanItem(
                source: "r.example/a@\(Self.digest)", sourceTag: "r.example/a:\($0)", agent: "r.example/g@\(Self.digest)",
                target: "r.example/a-p:\($0)", options: JSONObject())
        }
        let plan = FleetPlan(items: items)
        var results: [FleetResult] = []
        let line = Self.result(items[1].id, .patched).jsonLine()
        try ResultLines.parse(Array(line.utf8), file: "r", plan: plan, into: &results)
        let summary = FleetSummary(results: results, plan: plan)
        #expect(summary.missing?.map(\.id) == [items[0].id, items[2].id])
        #expect(throws: FleetError.self) {
            try ResultLines.parse(Array(Self.result("zzz", .patched).jsonLine().utf8), file: "r", plan: plan, into: &results)
        }
    }
}
