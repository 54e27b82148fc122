import JSON
import OCI

/// The `imagepatch patch` options a fleet file may set, by long name, and how each is written in a
/// plan: the values `fleet run` hands to the patch of one item. Options that belong to the run
/// rather than to an image (registry access and credentials, concurrency, output) are refused with
/// a reason, so a typo and a misplaced option both get one clear line.
public enum FleetOptions {
    public enum Kind: Sendable {
        /// A single value: a string (a YAML number or word is taken as it is written, so
        /// `cid: 0123…` keeps its leading zero).
        case text
        /// A repeatable option: a string or a list of strings, always a JSON array in the plan.
        case list
        /// A flag: true or false.
        case flag
        /// `--launcher`: a path, or a list written as the JSON array `--launcher` takes.
        case launcher
    }

    public static let kinds: [String: Kind] = [
        "platform": .list, "preset": .text, "install-dir": .text, "agent-root": .text, "include": .list,
        "launcher": .launcher, "env": .list, "label": .list, "cid": .text, "falconctl-opts": .text,
        "cloud-service": .text, "container": .text, "container-group": .text, "resource-group": .text, "subscription": .text,
        "image-pull-policy": .text, "max-agent-size": .text,
        "repatch": .flag,
    ]

    static let refused: [String: String] = {
        var reasons: [String: String] = [:]
        for name in ["source", "source-image-uri"] { reasons[name] = "is set by each entry's source" }
        for name in ["agent", "falcon-image-uri"] { reasons[name] = "is set by the file's agent" }
        for name in ["target", "target-image-uri"] { reasons[name] = "is set by the target template" }
        for name in ["creds", "password-stdin", "pull-token", "authfile"] {
            reasons[name] = "is a credential; credentials never go in a fleet file or a plan, give them to fleet plan and fleet run"
        }
        for name in ["insecure-registry", "ca-file", "retry-times", "timeout", "jobs", "max-archive-size", "dry-run", "json", "verbose"] {
            reasons[name] = "belongs to the fleet plan or fleet run command line, not to an image"
        }
        return reasons
    }()

    /// Reads an `options` mapping in file order.
    static func parse(_ node: YAMLValue, at place: String, file: String) throws(FleetError) -> JSONObject {
        let members = try node.mapping(at: place, file: file)
        var options = JSONObject()
        for (name, value) in members {
            let optionPlace = "\(place).\(name)"
            guard let kind = kinds[name] else {
                if let reason = refused[name] { throw FleetError(file: file, place: optionPlace, "\(reason)") }
                if name.hasPrefix("-") {
                    throw FleetError(
                        file: file, place: optionPlace, "unknown option; write option names without dashes (\(name.drop { $0 == "-" }))")
                }
                throw FleetError(
                    file: file, place: optionPlace,
                    "unknown option; the options are \(kinds.keys.sorted().joined(separator: ", "))")
            }
            options[name] = try parseValue(value, kind: kind, name: name, at: optionPlace, file: file)
        }
        return options
    }

    private static func parseValue(
        _ value: YAMLValue, kind: Kind, name: String, at place: String,
        file: String
    ) throws(FleetError) -> JSONValue {
        switch kind {
        case .text:
            return .string(try value.text(at: place, file: file))
        case .flag:
            return .bool(try value.flag(at: place, file: file))
        case .launcher:
            if case .sequence = value {
                let argv = try value.texts(at: place, file: file)
                guard !argv.isEmpty else { throw FleetError(file: file, place: place, "is an empty list") }
                return .string(String(decoding: JSONValue.array(argv.map(JSONValue.string)).serialized(), as: UTF8.self))
            }
            return .string(try value.text(at: place, file: file))
        case .list:
            let items: [String]
            if case .sequence = value {
                items = try value.texts(at: place, file: file)
            } else {
                items = [try value.text(at: place, file: file)]
            }
            for (index, item) in items.enumerated() {
                try check(item, option: name, at: "\(place)[\(index)]", file: file)
            }
            return .array(items.map(JSONValue.string))
        }
    }

    /// What can be checked without the patch engine: platforms parse, K=V has a key.
    private static func check(_ item: String, option: String, at place: String, file: String) throws(FleetError) {
        switch option {
        case "platform":
            for part in item.split(separator: ",", omittingEmptySubsequences: false) {
                do { _ = try Platform(parsing: String(part)) } catch { throw FleetError(file: file, place: place, "\(error)") }
            }
        case "env", "label":
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw FleetError(file: file, place: place, "\(item.debugDescription) is not KEY=VALUE")
            }
        default:
            break
        }
    }

    /// The file's options with an entry's over them: an entry's key replaces the file's, in the
    /// file's position; keys only the entry has follow in the entry's order.
    public static func merged(_ base: JSONObject, _ overrides: JSONObject) -> JSONObject {
        var result = base
        for (key, value) in overrides { result[key] = value }
        return result
    }
}
