import Hashing
import JSON
import OCI

/// One work item of a plan: patch `source` (pinned by digest) with `agent` (pinned by digest)
/// into `target`, with `options`. Written as a JSON object in this key order; a plan is a JSON
/// array of them, which Argo's withParam, Tekton's matrix and GitHub Actions' matrix take as it is.
public struct FleetPlanItem: Sendable, Equatable {
    /// Stable across runs for the same entry: a hash of `sourceTag` and `target`, never of
    /// digests, so a re-plan after a new agent or source release gives the same ids.
    public let id: String
    /// `host/repo@sha256:…`.
    public let source: String
    /// `host/repo:tag`: the tag the source digest was resolved from (for a source named by digest
    /// only, the same as `source`).
    public let sourceTag: String
    /// `host/repo@sha256:…`.
    public let agent: String
    /// `host/repo:tag`, normalised.
    public let target: String
    public let options: JSONObject

    public init(source: String, sourceTag: String, agent: String, target: String, options: JSONObject) {
        id = Self.id(sourceTag: sourceTag, target: target)
        self.source = source
        self.sourceTag = sourceTag
        self.agent = agent
        self.target = target
        self.options = options
    }

    /// 16 hex digits of SHA-256 over the source tag and the target: lowercase alphanumerics, fit
    /// for Kubernetes and Argo names.
    public static func id(sourceTag: String, target: String) -> String {
        String(DigestHasher.hex(.sha256, of: Array("\(sourceTag)\n\(target)".utf8)).prefix(16))
    }

    public var json: JSONValue {
        .object(
            JSONObject([
                ("id", .string(id)), ("source", .string(source)), ("sourceTag", .string(sourceTag)),
                ("agent", .string(agent)), ("target", .string(target)), ("options", .object(options)),
            ]))
    }

    /// Reads an item of a plan file back (for `fleet run`); `place` names it in errors.
    public init(json value: JSONValue, file: String, place: String) throws(FleetError) {
        guard let object = value.objectValue else {
            throw FleetError(file: file, place: place, "is \(value.kindDescription), not an object")
        }
        func string(_ key: String) throws(FleetError) -> String {
            guard let text = object[key]?.stringValue else {
                throw FleetError(file: file, place: "\(place).\(key)", "is missing or not a string")
            }
            return text
        }
        func pinned(_ key: String) throws(FleetError) -> String {
            let text = try string(key)
            guard let reference = try? DockerReference(parsing: text), reference.digest != nil else {
                throw FleetError(
                    file: file, place: "\(place).\(key)", "\(text.debugDescription) is not an image reference pinned by digest")
            }
            return text
        }
        for key in object.keys where !["id", "source", "sourceTag", "agent", "target", "options"].contains(key) {
            throw FleetError(file: file, place: "\(place).\(key)", "unknown key in a plan item")
        }
        id = try string("id")
        source = try pinned("source")
        sourceTag = try string("sourceTag")
        agent = try pinned("agent")
        target = try string("target")
        guard (try? DockerReference(parsing: target)) != nil else {
            throw FleetError(file: file, place: "\(place).target", "\(target.debugDescription) is not an image reference")
        }
        guard let options = object["options"]?.objectValue else {
            throw FleetError(file: file, place: "\(place).options", "is missing or not an object")
        }
        self.options = options
    }
}

/// A plan: the items in the order of the file's entries, each entry's tags newest first.
public struct FleetPlan: Sendable, Equatable {
    public let items: [FleetPlanItem]

    public static let maxItems = 100_000
    public static let maxBytes = 256 << 20

    public init(items: [FleetPlanItem]) { self.items = items }

    public var json: JSONValue { .array(items.map(\.json)) }

    /// A plan file as `fleet plan` printed it, for `fleet run`: every item checked, ids unique.
    public init(bytes: [UInt8], file: String) throws(FleetError) {
        guard bytes.count <= Self.maxBytes else {
            throw FleetError(file: file, place: "", "is larger than the \(Self.maxBytes)-byte limit of a plan")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw FleetError(file: file, place: "", "is not a plan: \(error)") }
        guard let array = value.arrayValue else {
            throw FleetError(file: file, place: "", "is not a plan: it is \(value.kindDescription), not an array")
        }
        guard array.count <= Self.maxItems else { throw FleetError(file: file, place: "", "holds more than \(Self.maxItems) items") }
        var items: [FleetPlanItem] = []
        var seen = Set<String>()
        for (index, element) in array.enumerated() {
            let item = try FleetPlanItem(json: element, file: file, place: "[\(index)]")
            guard seen.insert(item.id).inserted else { throw FleetError(file: file, place: "[\(index)].id", "\(item.id) is given twice") }
            items.append(item)
        }
        self.items = items
    }
}
