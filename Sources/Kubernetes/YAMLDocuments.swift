import Foundation
import JSON
import Synchronization
import Yams

/// YAML documents as `k8s inject` reads and writes them: split on their `---`/`...` lines with the
/// original text kept, and converted to and from `JSONValue` (so unknown fields and their order survive).
enum YAMLDocuments {
    struct Piece {
        var text: String
        var isSeparator: Bool
    }

    /// Nodes in all, aliases counted each time they are used: an alias bomb stops here.
    static let maxNodes = 4_000_000
    static let maxDepth = 100

    /// The text as separator lines and documents, in order; joined they give the text back.
    static func split(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var current = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "\n").map { rest.index(after: $0) } ?? rest.endIndex
            let line = rest[..<end]
            rest = rest[end...]
            if isSeparator(line) {
                pieces.append(Piece(text: current, isSeparator: false))
                pieces.append(Piece(text: String(line), isSeparator: true))
                current = ""
            } else {
                current += line
            }
        }
        pieces.append(Piece(text: current, isSeparator: false))
        return pieces
    }

    /// `---` or `...` alone on a line, or followed by a comment.
    private static func isSeparator(_ line: Substring) -> Bool {
        guard line.hasPrefix("---") || line.hasPrefix("...") else { return false }
        let after = line.dropFirst(3).trimmingCharacters(in: .whitespacesAndNewlines)
        return after.isEmpty || after.hasPrefix("#")
    }

    /// The comment and blank lines a document starts with, kept when the document is rewritten.
    static func leadingComments(_ text: String) -> String {
        var kept = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.isEmpty || trimmed.hasPrefix("#") else { break }
            kept += line + "\n"
        }
        return kept
    }

    /// One document's value; nil for a document that holds nothing but comments.
    /// `lineOffset`: the lines before the document in its file, so errors give the file's line numbers.
    static func parse(_ text: String, source: String, document: Int, lineOffset: Int = 0) throws -> JSONValue? {
        if let line = tooDeep(text) {
            throw KubernetesError.notYAML(
                source: source, reason: "document \(document) nests deeper than \(maxDepth) levels at line \(line + lineOffset)")
        }
        // Composed, converted and released (Yams frees nodes recursively) on the large stack.
        return try onLargeStack {
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch let error as YamlError {
                throw KubernetesError.notYAML(source: source, reason: "document \(document): \(describe(error, lineOffset: lineOffset))")
            }
            guard let node else { return nil }
            var budget = maxNodes
            return try convert(node, depth: 0, budget: &budget, source: source, document: document)
        }
    }

    /// libyaml and Yams recurse per level of nesting, so a hostile `[[[[…` or `- - - …` would overflow
    /// the stack: flow brackets and compact entries on one line are counted first (high: brackets in
    /// quoted strings count too), and the line where the bound is passed is returned. Nesting by
    /// indentation costs its square in bytes, so `maxBytes` bounds it and the large stack takes it.
    static func tooDeep(_ text: String) -> Int? {
        var flow = 0
        var line = 1
        var compact = 0
        var startOfLine = true
        var previous: UInt8 = 0x0A
        for byte in text.utf8 {
            switch byte {
            case 0x0A:
                line += 1
                compact = 0
                startOfLine = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                startOfLine = false
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flow = max(0, flow - 1)
                startOfLine = false
            case 0x20,
                0x09 where startOfLine && previous == UInt8(ascii: "-"):
                compact += 1
            case 0x20, 0x09, UInt8(ascii: "-"):
                break
            default:
                startOfLine = false
            }
            if flow > maxDepth || compact > maxDepth { return line }
            previous = byte
        }
        return nil
    }

    /// Runs `body` on a thread with a 64 MiB stack and waits for it.
    private static func onLargeStack(_ body: @escaping @Sendable () throws -> JSONValue?) throws -> JSONValue? {
        let box = ParseResult()
        let thread = Thread {
            let result = Result { try body() }
            box.result.withLock { $0 = result }
            box.done.signal()
        }
        thread.stackSize = 64 << 20
        thread.start()
        box.done.wait()
        return try box.result.withLock { $0 }!.get()
    }

    private final class ParseResult: Sendable {
        let result = Mutex<Result<JSONValue?, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    private static func convert(_ node: Node, depth: Int, budget: inout Int, source: String, document: Int) throws -> JSONValue {
        budget -= 1
        guard budget >= 0, depth <= maxDepth else {
            throw KubernetesError.notYAML(
                source: source, reason: "document \(document) nests deeper than \(maxDepth) levels or holds more than \(maxNodes) values")
        }
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar.string, tag: Tag.Name(rawValue: node.tag.description))
        case .sequence(let sequence):
            return .array(try sequence.map { try convert($0, depth: depth + 1, budget: &budget, source: source, document: document) })
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw KubernetesError.notYAML(source: source, reason: "document \(document) has a key that is not a plain name")
                }
                if keyScalar.string == "<<" && key.tag.description == Tag.Name.merge.rawValue {
                    throw KubernetesError.notYAML(
                        source: source, reason: "document \(document) uses a YAML merge key, which Kubernetes does not take")
                }
                guard object[keyScalar.string] == nil else {
                    throw KubernetesError.notYAML(
                        source: source, reason: "document \(document) gives the key \(keyScalar.string.debugDescription) twice")
                }
                object[keyScalar.string] = try convert(value, depth: depth + 1, budget: &budget, source: source, document: document)
            }
            return .object(object)
        }
    }

    /// A scalar as YAML 1.1 resolves it (the tag); numbers keep their text when it is JSON's.
    private static func scalarValue(_ text: String, tag: Tag.Name) -> JSONValue {
        switch tag {
        case .null: return .null
        case .bool: return .bool(["true", "yes", "on", "y"].contains(text.lowercased()))
        case .int, .float:
            if case .number(let literal)? = try? JSONValue(parsing: Array(text.utf8)) { return .number(literal) }
            let plain = text.replacingOccurrences(of: "_", with: "")
            if let value = Int(plain) { return .integer(value) }
            if let value = Double(plain), value.isFinite, case .number(let literal)? = try? JSONValue(parsing: Array("\(value)".utf8)) {
                return .number(literal)
            }
            return .string(text)
        default: return .string(text)
        }
    }

    /// The value as a YAML document (block style, two-space indent, no line folding); strings that
    /// would read back as something else are quoted.
    static func serialize(_ value: JSONValue) throws -> String {
        try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
    }

    private static func node(_ value: JSONValue) -> Node {
        switch value {
        case .object(let object):
            return .mapping(Node.Mapping(object.map { (stringNode($0.key), node($0.value)) }))
        case .array(let items):
            return .sequence(Node.Sequence(items.map(node)))
        case .string(let text):
            return stringNode(text)
        case .number(let text):
            return .scalar(Node.Scalar(text, Tag(text.contains(where: { ".eE".contains($0) }) ? .float : .int), .plain))
        case .bool(let flag):
            return .scalar(Node.Scalar(flag ? "true" : "false", Tag(.bool), .plain))
        case .null:
            return .scalar(Node.Scalar("null", Tag(.null), .plain))
        }
    }

    private static func stringNode(_ text: String) -> Node {
        let plain = Resolver.default.resolveTag(of: Node.scalar(Node.Scalar(text))) == Tag.Name.str
        return .scalar(Node.Scalar(text, Tag(.str), plain ? .any : .doubleQuoted))
    }

    /// Yams' own description spans lines and quotes the document; one line with the position.
    static func describe(_ error: YamlError, lineOffset: Int = 0) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let around = context.map { "\($0.text) at line \($0.mark.line + lineOffset), column \($0.mark.column), " } ?? ""
            return "\(around)\(problem) at line \(mark.line + lineOffset), column \(mark.column)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)" + (offset.map { " at character \($0)" } ?? "")
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}
