import Foundation
import JSON
import TestTools
import Testing

/// `JSONPatch.diff`: the exact operations for the cases that matter, and, for many generated pairs of
/// documents, Python's jsonpatch applying the operations to the source and getting the target.
@Suite struct JSONPatchTests {
    func json(_ text: String) -> JSONValue { try! JSONValue(parsing: Array(text.utf8)) }

    func ops(_ from: String, _ to: String) -> String {
        String(decoding: JSONPatch.document(JSONPatch.diff(from: json(from), to: json(to))).serialized(), as: UTF8.self)
    }

    @Test func equalDocumentsGiveNoOperation() {
        #expect(ops(#"{"a":[1,{"b":null}],"c":"d"}"#, #"{"a":[1,{"b":null}],"c":"d"}"#) == "[]")
        // Member order is not significant in a patch.
        #expect(ops(#"{"a":1,"b":2}"#, #"{"b":2,"a":1}"#) == "[]")
    }

    @Test func objectMembers() {
        #expect(
            ops(#"{"a":1,"b":{"c":true},"d":"x"}"#, #"{"a":2,"b":{"c":true,"e":[]}}"#)
                == #"[{"op":"replace","path":"/a","value":2},{"op":"add","path":"/b/e","value":[]},{"op":"remove","path":"/d"}]"#)
    }

    @Test func pointerEscaping() {
        #expect(JSONPatch.escape("a/b~c") == "a~1b~0c")
        #expect(JSONPatch.escape("~1") == "~01")
        #expect(
            ops(#"{"metadata":{"annotations":{}}}"#, #"{"metadata":{"annotations":{"example.com/x~y":"1","":"e"}}}"#)
                == #"[{"op":"add","path":"/metadata/annotations/example.com~1x~0y","value":"1"},"#
                + #"{"op":"add","path":"/metadata/annotations/","value":"e"}]"#)
    }

    @Test func arrays() {
        // Appended, prepended, inserted in the middle, removed from the end and the start.
        #expect(ops("[1,2]", "[1,2,3]") == #"[{"op":"add","path":"/2","value":3}]"#)
        #expect(ops("[1,2]", "[0,1,2]") == #"[{"op":"add","path":"/0","value":0}]"#)
        #expect(ops("[1,3]", "[1,2,2.5,3]") == #"[{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":2.5}]"#)
        #expect(ops("[1,2,3,4]", "[1,2]") == #"[{"op":"remove","path":"/2"},{"op":"remove","path":"/2"}]"#)
        #expect(ops("[1,2,3]", "[3]") == #"[{"op":"remove","path":"/0"},{"op":"remove","path":"/0"}]"#)
        // Elements edited in place.
        #expect(ops(#"[{"a":1},{"a":2}]"#, #"[{"a":1},{"a":3}]"#) == #"[{"op":"replace","path":"/1/a","value":3}]"#)
    }

    @Test func typeChangesReplace() {
        #expect(ops(#"{"a":[1]}"#, #"{"a":{"0":1}}"#) == #"[{"op":"replace","path":"/a","value":{"0":1}}]"#)
        #expect(ops(#"{"a":1}"#, "[1]") == #"[{"op":"replace","path":"","value":[1]}]"#)
        #expect(ops("1", "1.0") == #"[{"op":"replace","path":"","value":1.0}]"#)
    }

    /// Generated pairs, checked by an implementation nobody here wrote.
    @Test func generatedPairsApplyWithPythonJSONPatch() async throws {
        var generator = SplitMix64(seed: 0x1D_2023_0612)
        var cases: [JSONValue] = []
        for _ in 0..<400 {
            let source = Self.randomValue(&generator, depth: 0)
            let target = Self.mutate(source, &generator, depth: 0)
            let patch = JSONPatch.document(JSONPatch.diff(from: source, to: target))
            cases.append(.object(JSONObject([("source", source), ("target", target), ("patch", patch)])))
        }
        let scratch = try TemporaryDirectory(label: "jsonpatch")
        defer { scratch.remove() }
        try scratch.write("cases.json", JSONValue.array(cases).serialized())
        let result = try await Tools.python(
            """
            import json, sys
            import jsonpatch
            failures = 0
            for number, case in enumerate(json.load(open(sys.argv[1]))):
                try:
                    result = jsonpatch.JsonPatch(case["patch"]).apply(case["source"])
                except Exception as error:
                    result = "error: %s" % error
                if result != case["target"]:
                    failures += 1
                    if failures <= 3:
                        print("case %d: %s" % (number, json.dumps(case)[:2000]))
            print("failures", failures)
            """, [scratch.file("cases.json")])
        #expect(result.stdout.hasSuffix("failures 0\n"), "\(result.stdout)")
    }

    static let keys = ["a", "b", "a/b", "~", "~1", "c~0d", "", "name", "é"]

    static func randomValue(_ g: inout SplitMix64, depth: Int) -> JSONValue {
        switch g.next() % (depth > 3 ? 4 : 7) {
        case 0: return .string(keys[Int(g.next() % UInt64(keys.count))])
        case 1: return .number(String(Int(g.next() % 5)))
        case 2: return .bool(g.next() % 2 == 0)
        case 3: return .null
        case 4, 5:
            var object = JSONObject()
            for _ in 0..<Int(g.next() % 5) { object[keys[Int(g.next() % UInt64(keys.count))]] = randomValue(&g, depth: depth + 1) }
            return .object(object)
        default:
            return .array((0..<Int(g.next() % 6)).map { _ in randomValue(&g, depth: depth + 1) })
        }
    }

    /// A target near the source: some members and elements kept, edited, dropped or added.
    static func mutate(_ value: JSONValue, _ g: inout SplitMix64, depth: Int) -> JSONValue {
        if g.next() % 8 == 0 { return randomValue(&g, depth: depth) }
        switch value {
        case .object(let object):
            var result = JSONObject()
            for (key, member) in object {
                switch g.next() % 5 {
                case 0: continue
                case 1: result[key] = mutate(member, &g, depth: depth + 1)
                default: result[key] = member
                }
            }
            if g.next() % 3 == 0 { result[keys[Int(g.next() % UInt64(keys.count))]] = randomValue(&g, depth: depth + 1) }
            return .object(result)
        case .array(let elements):
            var result: [JSONValue] = []
            for element in elements {
                switch g.next() % 6 {
                case 0: continue
                case 1: result.append(mutate(element, &g, depth: depth + 1))
                case 2:
                    result.append(randomValue(&g, depth: depth + 1))
                    result.append(element)
                default: result.append(element)
                }
            }
            if g.next() % 3 == 0 { result.append(randomValue(&g, depth: depth + 1)) }
            return .array(result)
        default:
            return value
        }
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
