import Foundation
import Synchronization
import Yams

/// A YAML (or JSON) document as the fleet file needs it: scalars keep the text they were written
/// with (so `tags: [1.10]` is the tag "1.10", not the number 1.1, and `no` is not false), mappings
/// keep their order and refuse duplicate keys.
indirect enum YAMLValue: Sendable {
    struct Scalar: Sendable {
        enum Kind: Sendable { case string, int, bool, null, other }
        var text: String
        /// What YAML's resolution makes of it: a quoted scalar is always a string.
        var kind: Kind
    }

    case scalar(Scalar)
    case sequence([YAMLValue])
    case mapping([(key: String, value: YAMLValue)])

    /// Nodes in all, aliases counted each time they are used: an alias bomb (`a: &a [*b, *b, …]`)
    /// stops here, after a bounded amount of work, instead of filling memory.
    static let maxNodes = 4_000_000
    /// The fleet file's own shape is four levels deep; anything much deeper is not a fleet file.
    static let maxDepth = 16

    /// Composes `text` on a thread with a large stack (Yams composes and releases nodes
    /// recursively, so a deeply nested hostile document must not meet a small stack) and converts
    /// it there, within `maxNodes` and `maxDepth`.
    static func parse(_ text: String, file: String) throws(FleetError) -> YAMLValue {
        try YAMLNestingCheck.check(Array(text.utf8), file: file)
        let box = ResultBox()
        let thread = Thread {
            let result = Result { try compose(text, file: file) }
            box.result.withLock { $0 = result }
            box.done.signal()
        }
        thread.stackSize = 64 << 20
        thread.start()
        box.done.wait()
        switch box.result.withLock({ $0 })! {
        case .success(let value): return value
        case .failure(let error as FleetError): throw error
        case .failure(let error): throw FleetError(file: file, place: "", "\(error)")
        }
    }

    private final class ResultBox: Sendable {
        let result = Mutex<Result<YAMLValue, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    private static func compose(_ text: String, file: String) throws -> YAMLValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw FleetError(file: file, place: "", "is not valid YAML or JSON: \(describe(error))")
        }
        guard let node else { throw FleetError(file: file, place: "", "is empty") }
        var budget = maxNodes
        return try convert(node, place: "", depth: 0, budget: &budget, file: file)
    }

    private static func convert(_ node: Node, place: String, depth: Int, budget: inout Int, file: String) throws -> YAMLValue {
        budget -= 1
        guard budget >= 0 else {
            throw FleetError(file: file, place: "", "expands to more than \(maxNodes) values (through YAML aliases?); refusing it")
        }
        guard depth <= maxDepth else {
            throw FleetError(file: file, place: place, "nests deeper than \(maxDepth) levels; a fleet file has four")
        }
        switch node {
        case .scalar(let scalar):
            return .scalar(Scalar(text: scalar.string, kind: kind(of: scalar.string, style: scalar.style)))
        case .sequence(let sequence):
            var items: [YAMLValue] = []
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, place: "\(place)[\(index)]", depth: depth + 1, budget: &budget, file: file))
            }
            return .sequence(items)
        case .mapping(let mapping):
            var members: [(key: String, value: YAMLValue)] = []
            var seen = Set<String>()
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let key) = keyNode else {
                    throw FleetError(file: file, place: place.isEmpty ? "(top level)" : place, "has a key that is not a plain name")
                }
                let childPlace = place.isEmpty ? key.string : "\(place).\(key.string)"
                guard seen.insert(key.string).inserted else { throw FleetError(file: file, place: childPlace, "is given twice") }
                if key.string == "<<" && key.style == .plain {
                    throw FleetError(file: file, place: childPlace, "YAML merge keys are not supported; repeat the keys")
                }
                members.append((key.string, try convert(valueNode, place: childPlace, depth: depth + 1, budget: &budget, file: file)))
            }
            return .mapping(members)
        }
    }

    /// YAML 1.1's resolution of a plain scalar, as far as a fleet file cares (the same words
    /// Yams' resolver uses), without running its regular expressions on every scalar.
    private static func kind(of text: String, style: Node.Scalar.Style) -> Scalar.Kind {
        guard style == .plain || style == .any else { return .string }
        if ["", "~", "null", "Null", "NULL"].contains(text) { return .null }
        if [
            "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
            "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        ].contains(text) {
            return .bool
        }
        if Int(text) != nil { return .int }
        return .other
    }

    /// Yams' own description spans lines and quotes the document; one line with the position.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let around = context.map { "\($0.text) at line \($0.mark.line), column \($0.mark.column), " } ?? ""
            return "\(around)\(problem) at line \(mark.line), column \(mark.column)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)" + (offset.map { " at character \($0)" } ?? "")
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}

extension YAMLValue {
    var kindDescription: String {
        switch self {
        case .scalar(let scalar):
            switch scalar.kind {
            case .null: "empty (null)"
            case .bool: "a boolean"
            case .int: "a number"
            default: "a single value"
            }
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    func mapping(at place: String, file: String) throws(FleetError) -> [(key: String, value: YAMLValue)] {
        guard case .mapping(let members) = self else { throw FleetError(file: file, place: place, "is \(kindDescription), not a mapping") }
        return members
    }

    func sequence(at place: String, file: String) throws(FleetError) -> [YAMLValue] {
        guard case .sequence(let items) = self else { throw FleetError(file: file, place: place, "is \(kindDescription), not a list") }
        return items
    }

    /// A scalar's text, as written: any scalar but null.
    func text(at place: String, file: String) throws(FleetError) -> String {
        guard case .scalar(let scalar) = self, scalar.kind != .null else {
            throw FleetError(file: file, place: place, "is \(kindDescription), not a single value")
        }
        return scalar.text
    }

    /// A list of scalars' texts.
    func texts(at place: String, file: String) throws(FleetError) -> [String] {
        var texts: [String] = []
        for (index, item) in try sequence(at: place, file: file).enumerated() {
            texts.append(try item.text(at: "\(place)[\(index)]", file: file))
        }
        return texts
    }

    func flag(at place: String, file: String) throws(FleetError) -> Bool {
        guard case .scalar(let scalar) = self, scalar.kind == .bool, scalar.text == "true" || scalar.text == "false" else {
            throw FleetError(file: file, place: place, "must be true or false")
        }
        return scalar.text == "true"
    }

    func positiveInteger(at place: String, file: String, maximum: Int) throws(FleetError) -> Int {
        guard case .scalar(let scalar) = self, scalar.kind == .int, let value = Int(scalar.text), (1...maximum).contains(value) else {
            throw FleetError(file: file, place: place, "must be a whole number from 1 to \(maximum)")
        }
        return value
    }
}
