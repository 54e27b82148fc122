import Hashing
import JSON
import OCI

/// What fully determines an agent layer: the agent's platform manifest, the settings that shape
/// the layer, and its compression. Two runs with the same key build byte-identical layers, so a
/// layer built once (this run, an earlier run through the cache, another machine) serves every
/// image it fits, and a gzip layer never answers a zstd request or the reverse. The media-type
/// family is not part of it: the bytes are the same for OCI and Docker images, only the label
/// differs (`AgentLayer.described(as:)`). `--max-agent-size` is not part of it either: it bounds
/// the work, not the result.
public struct AgentLayerKey: Hashable, Sendable, CustomStringConvertible {
    /// Raised whenever the builder's output changes for the same inputs (tar headers, ordering,
    /// compression settings), so layers built by an older imagepatch are not taken for new ones.
    public static let formatVersion = 1

    /// 64 lowercase hex digits: usable as a file name and as a registry tag.
    public let hex: String

    public init(agentManifest: Digest, settings: AgentTreeSettings, compression: LayerCompression) {
        var fields = JSONObject()
        fields["format"] = .integer(Int64(Self.formatVersion))
        fields["agent"] = .string(agentManifest.description)
        fields["installDirectory"] = .string(settings.installDirectory)
        fields["agentRoot"] = .string(settings.agentRoot)
        fields["includes"] = settings.includes.map { .array($0.map(JSONValue.string)) } ?? .null
        fields["normalizeModes"] = .bool(settings.normalizeModes)
        fields["defaultTime"] = .integer(settings.defaultTime)
        // "gzip" since the first format version, so the keys of gzip layers (in labels and caches) stay as they were.
        fields["compression"] = .string(compression.rawValue)
        hex = DigestHasher.hex(of: JSONValue.object(fields).serialized())
    }

    /// A key as recorded (a label, a cache entry's name): exactly 64 lowercase hex digits.
    public init?(recorded text: String) {
        guard text.utf8.count == 64, text.utf8.allSatisfy({ ASCIINumber.isDigit($0) || (97...102).contains($0) }) else { return nil }
        hex = text
    }

    public var description: String { hex }
}
