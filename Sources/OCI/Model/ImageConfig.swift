import JSON

/// An image config, kept as its JSON object so that editing it loses nothing: the OCI spec says
/// unknown fields must survive, and a struct would drop them.
public struct ImageConfig: Sendable {
    public var json: JSONObject

    public init(json: JSONObject) { self.json = json }

    public init(bytes: [UInt8], place: String) throws {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw OCIError.malformed(place, "\(error)") }
        guard let object = value.objectValue else { throw OCIError.malformed(place, "a config must be a JSON object") }
        if let rootfs = object["rootfs"], rootfs.objectValue == nil {
            throw OCIError.malformed(place, "rootfs must be an object")
        }
        json = object
    }

    public var serialized: [UInt8] { JSONValue.object(json).serialized() }

    public var diffIDs: [String] { json["rootfs"]?["diff_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    public var platform: Platform? {
        guard let os = json["os"]?.stringValue, let architecture = json["architecture"]?.stringValue else { return nil }
        return Platform(os: os, architecture: architecture, variant: json["variant"]?.stringValue)
    }

    /// The runtime part (`config` in the JSON): Entrypoint, Cmd, Env, User, Labels.
    public var runtime: JSONObject { json["config"]?.objectValue ?? JSONObject() }

    public var entrypoint: [String]? { Self.strings(runtime["Entrypoint"]) }
    public var cmd: [String]? { Self.strings(runtime["Cmd"]) }
    public var user: String? { runtime["User"]?.stringValue }
    public var env: [String] { Self.strings(runtime["Env"]) ?? [] }

    public var labels: [(String, String)] {
        guard let object = runtime["Labels"]?.objectValue else { return [] }
        return object.compactMap { key, value in value.stringValue.map { (key, $0) } }
    }

    public func label(_ key: String) -> String? { runtime["Labels"]?[key]?.stringValue }

    static func strings(_ value: JSONValue?) -> [String]? {
        guard let array = value?.arrayValue else { return nil }
        return array.compactMap(\.stringValue)
    }
}
