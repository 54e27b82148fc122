import JSON
import Yams

/// Kubernetes objects as one multi-document YAML stream (`---` before each), for `kubectl apply -f -`.
/// Members keep the order they were built in, so the same objects always print the same text.
enum ManifestYAML {
    static func stream(_ documents: [JSONValue]) throws -> String {
        try Yams.serialize(nodes: documents.map(node), indent: 2, width: -1, explicitStart: true, sortKeys: false)
    }

    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .object(let object):
            return .mapping(Node.Mapping(object.map { (Node.scalar(string($0.key)), node($0.value)) }))
        case .array(let array):
            return .sequence(Node.Sequence(array.map(node)))
        case .string(let text):
            return .scalar(string(text))
        case .number(let literal):
            return .scalar(Node.Scalar(literal))
        case .bool(let flag):
            return .scalar(Node.Scalar(flag ? "true" : "false"))
        case .null:
            return .scalar(Node.Scalar("null"))
        }
    }

    /// A string scalar: plain when every YAML reader takes it for a string, double-quoted when a
    /// YAML 1.1 reader (go-yaml, which kubectl uses) could take it for a bool, number or null.
    static func string(_ text: String) -> Node.Scalar {
        let plain = Node.Scalar(text)
        let ambiguous = ["y", "Y", "n", "N", "yes", "no", "on", "off", "~", ""]
        if Resolver.default.resolveTag(of: .scalar(plain)) != .str || ambiguous.contains(text.lowercased()) || ambiguous.contains(text) {
            return Node.Scalar(text, .implicit, .doubleQuoted)
        }
        return plain
    }
}
