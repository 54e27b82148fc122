import GzipEncoding
import IOFoundation
import OCI

@testable import ImagePatch

/// An agent image held in memory, for building agent layers without a transport: each layer is
/// given as its uncompressed tar and stored gzip-compressed (or as given, with its media type).
final class AgentImageDouble: ImageSource, @unchecked Sendable {
    struct Layer {
        var mediaType: String
        var blob: [UInt8]
        var diffID: Digest
    }

    let reference: String
    let layers: [Layer]

    init(reference: String = "oci:/agents/double:1", layers: [Layer]) {
        self.reference = reference
        self.layers = layers
    }

    convenience init(reference: String = "oci:/agents/double:1", tars: [[UInt8]]) throws {
        self.init(
            reference: reference,
            layers: try tars.map { tar in
                Layer(mediaType: MediaType.ociLayerGzip, blob: try Self.gzip(tar), diffID: .sha256(of: tar))
            })
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        let encoder = GzipEncoder()
        try bytes.withUnsafeBytes { try encoder.write($0) { out.append(contentsOf: $0) } }
        try encoder.finish { out.append(contentsOf: $0) }
        return out
    }

    var manifest: ImageManifest {
        get throws {
            let layerJSON = layers.map {
                #"{"mediaType":"\#($0.mediaType)","digest":"\#(Digest.sha256(of: $0.blob))","size":\#($0.blob.count)}"#
            }
            let config = #"{"mediaType":"\#(MediaType.ociConfig)","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2}"#
            let text =
                #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociManifest)","config":\#(config),"layers":[\#(layerJSON.joined(separator: ","))]}"#
            guard
                case .manifest(let manifest) = try ManifestDocument.parse(
                    ManifestBlob(bytes: Array(text.utf8), mediaType: MediaType.ociManifest),
                    place: reference)
            else {
                throw OCIError.malformed(reference, "not a manifest")
            }
            return manifest
        }
    }

    var config: ImageConfig {
        get throws {
            let ids = layers.map { "\"\($0.diffID)\"" }.joined(separator: ",")
            return try ImageConfig(bytes: Array(#"{"rootfs":{"type":"layers","diff_ids":[\#(ids)]}}"#.utf8), place: reference)
        }
    }

    /// Builds the agent layer with `settings`, compressed and labelled as `format`.
    func build(_ settings: AgentTreeSettings, format: LayerFormat = .oci(.gzip)) async throws -> AgentLayer {
        try await AgentLayerBuilder(settings: settings).build(agent: try manifest, config: try config, source: self, format: format)
    }

    func rootManifest() async throws -> ManifestBlob { throw OCIError.notFound("the root manifest of \(reference)") }
    func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob { throw OCIError.notFound("\(descriptor.digest)") }
    func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        guard let layer = layers.first(where: { Digest.sha256(of: $0.blob) == descriptor.digest }) else {
            throw OCIError.notFound("blob \(descriptor.digest) in \(reference)")
        }
        return MemoryReader(layer.blob)
    }
}

extension AgentTreeSettings {
    /// The falcon preset's shape: everything under / into opt/CS/rootfs, modes a=rX.
    static func testing(
        install: String = "opt/CS/rootfs", agentRoot: String = "", includes: [String]? = nil,
        maxBytes: Int64 = AgentTreeSettings.defaultMaxUncompressedBytes
    ) -> AgentTreeSettings {
        AgentTreeSettings(
            installDirectory: install, agentRoot: agentRoot, includes: includes, normalizeModes: true,
            defaultTime: 0, maxUncompressedBytes: maxBytes)
    }
}
