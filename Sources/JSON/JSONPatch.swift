/// RFC 6902 JSON Patch: the operations that turn one document into another, as a Kubernetes
/// mutating admission webhook answers them.
///
/// The diff uses `add`, `remove` and `replace` only. Objects are compared member by member
/// (member order is not significant in a patch, so a reordering alone yields no operation);
/// arrays keep their equal leading and trailing elements, edit the overlapping middle element by
/// element, then remove or insert the rest. Applying the operations in order to the source gives a
/// document equal to the target, apart from object member order.
public enum JSONPatch {
    public struct Operation: Equatable, Sendable {
        public enum Kind: String, Sendable {
            case add
            case remove
            case replace
        }

        public let kind: Kind
        /// An RFC 6901 JSON Pointer, already escaped.
        public let path: String
        /// Nil for `remove`.
        public let value: JSONValue?

        public init(kind: Kind, path: String, value: JSONValue?) {
            self.kind = kind
            self.path = path
            self.value = value
        }

        /// `{"op":…,"path":…,"value":…}`.
        public var jsonValue: JSONValue {
            var object = JSONObject()
            object["op"] = .string(kind.rawValue)
            object["path"] = .string(path)
            if let value { object["value"] = value }
            return .object(object)
        }
    }

    /// The operations that turn `source` into `target`; empty when they are equal.
    public static func diff(from source: JSONValue, to target: JSONValue) -> [Operation] {
        var operations: [Operation] = []
        diff(source, target, path: "", into: &operations)
        return operations
    }

    /// The patch document: a JSON array of operation objects.
    public static func document(_ operations: [Operation]) -> JSONValue {
        .array(operations.map(\.jsonValue))
    }

    /// One reference token of a JSON Pointer: `~` becomes `~0` and `/` becomes `~1` (RFC 6901 §3).
    public static func escape(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        var escaped = ""
        escaped.reserveCapacity(token.utf8.count + 2)
        for character in token {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func diff(_ source: JSONValue, _ target: JSONValue, path: String, into operations: inout [Operation]) {
        if source == target { return }
        switch (source, target) {
        case (.object(let old), .object(let new)):
            for (key, oldMember) in old {
                let memberPath = path + "/" + escape(key)
                if let newMember = new[key] {
                    diff(oldMember, newMember, path: memberPath, into: &operations)
                } else {
                    operations.append(Operation(kind: .remove, path: memberPath, value: nil))
                }
            }
            for (key, newMember) in new where old[key] == nil {
                operations.append(Operation(kind: .add, path: path + "/" + escape(key), value: newMember))
            }
        case (.array(let old), .array(let new)):
            diffArrays(old, new, path: path, into: &operations)
        default:
            operations.append(Operation(kind: .replace, path: path, value: target))
        }
    }

    private static func diffArrays(_ old: [JSONValue], _ new: [JSONValue], path: String, into operations: inout [Operation]) {
        let shorter = min(old.count, new.count)
        var prefix = 0
        while prefix < shorter, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < shorter - prefix, old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let oldMiddle = old.count - prefix - suffix
        let newMiddle = new.count - prefix - suffix
        let overlap = min(oldMiddle, newMiddle)
        // The overlapping elements are edited in place: indices before them do not move.
        for offset in 0..<overlap {
            diff(old[prefix + offset], new[prefix + offset], path: path + "/" + String(prefix + offset), into: &operations)
        }
        let at = prefix + overlap
        if oldMiddle > newMiddle {
            // Each removal shifts the next surplus element down to the same index.
            for _ in 0..<(oldMiddle - newMiddle) {
                operations.append(Operation(kind: .remove, path: path + "/" + String(at), value: nil))
            }
        } else {
            for offset in 0..<(newMiddle - oldMiddle) {
                operations.append(Operation(kind: .add, path: path + "/" + String(at + offset), value: new[at + offset]))
            }
        }
    }
}
