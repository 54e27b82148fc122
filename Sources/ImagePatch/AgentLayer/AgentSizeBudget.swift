/// `--max-agent-size`: what the agent image's layers may decompress to, all layers together, and
/// what its files may take in the spool. A decompression bomb stops at the chunk that passes the
/// limit, and an entry that declares more than is left (a 60 GiB sparse file stores a few bytes
/// but unpacks to 60 GiB) is refused before its data is read.
final class AgentSizeBudget {
    let limit: Int64
    private(set) var decompressed: Int64 = 0

    init(limit: Int64) { self.limit = limit }

    /// Counts `count` more decompressed bytes of the layer at `place`.
    func countDecompressed(_ count: Int, place: String) throws {
        decompressed += Int64(count)
        guard decompressed <= limit else { throw AgentLayerError.tooLarge(place: place, limit: limit) }
    }

    /// Checks that `size` more bytes of the entry `entry` fit in a spool that holds `length`.
    func checkSpool(length: Int64, adding size: Int64, entry: String, place: String) throws {
        guard size >= 0, size <= limit - length else {
            throw AgentLayerError.entryTooLarge(place: place, path: entry, size: size, limit: limit)
        }
    }
}

/// Errors reading the agent image's layers; `place` names the layer, its digest and the image
/// ("layer 2 (sha256:0123456789ab) of the agent image oci:agent:1").
public enum AgentLayerError: Error, CustomStringConvertible, Equatable {
    case tooLarge(place: String, limit: Int64)
    case entryTooLarge(place: String, path: String, size: Int64, limit: Int64)

    public var description: String {
        switch self {
        case .tooLarge(let place, let limit):
            "\(place) decompresses past the --max-agent-size limit of \(Self.bytes(limit)) for the agent's uncompressed layers; raise --max-agent-size if the agent really is that large"
        case .entryTooLarge(let place, let path, let size, let limit):
            "\(place) has a tar entry \(path.debugDescription) of \(size) bytes, which passes the --max-agent-size limit of \(Self.bytes(limit)) for the agent's files; raise --max-agent-size if the agent really is that large"
        }
    }

    private static func bytes(_ count: Int64) -> String {
        count >= 1 << 30 && count % (1 << 30) == 0 ? "\(count) bytes (\(count >> 30) GiB)" : "\(count) bytes"
    }
}
