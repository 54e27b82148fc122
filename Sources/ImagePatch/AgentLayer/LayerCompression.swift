import GzipEncoding
import OCI
import ZstdEncoding

/// How the agent layer is compressed (`--compression`): the one place that knows each compression's
/// media types, its encoder and its file name. As in containers/image's `pkg/compression` and
/// go-containerregistry's `tarball.WithCompression`, the compression is a value chosen once, and
/// the layer's media type follows from it and from the family of the image the layer goes into.
public enum LayerCompression: String, CaseIterable, Sendable {
    /// RFC 1952 gzip: every registry, runtime and tool reads it.
    case gzip
    /// Zstandard: smaller, and faster to unpack; OCI images only (containerd 1.5+, CRI-O, Podman).
    case zstd

    /// The layer media type `family`'s manifests give a layer compressed this way; nil where the
    /// family has none. Docker's schema 2 lists gzip (and uncompressed) layers only, which is why
    /// containers/image refuses zstd for it too.
    public func layerMediaType(in family: MediaTypeFamily) -> String? {
        switch (self, family) {
        case (.gzip, .oci): MediaType.ociLayerGzip
        case (.gzip, .docker): MediaType.dockerLayerGzip
        case (.zstd, .oci): MediaType.ociLayerZstd
        case (.zstd, .docker): nil
        }
    }

    /// A new streaming encoder for one layer.
    func makeEncoder() throws -> any LayerEncoder {
        switch self {
        case .gzip: GzipEncoder()
        case .zstd: try ZstdEncoder()
        }
    }

    /// The layer file's name, in a build's directory and in a cache entry.
    var fileName: String {
        switch self {
        case .gzip: "layer.tar.gz"
        case .zstd: "layer.tar.zst"
        }
    }
}

/// A compression in the family of the image the agent layer goes into: its media type. Made only
/// where the family can list the compression, so a Docker image's layer is never labelled zstd.
public struct LayerFormat: Hashable, Sendable {
    public let compression: LayerCompression
    public let family: MediaTypeFamily
    public let mediaType: String

    /// nil where `family`'s manifests cannot list `compression` (zstd in a Docker image).
    public init?(_ compression: LayerCompression, in family: MediaTypeFamily) {
        guard let mediaType = compression.layerMediaType(in: family) else { return nil }
        (self.compression, self.family, self.mediaType) = (compression, family, mediaType)
    }

    /// The format a layer media type read back from a manifest names; nil for any other type.
    init?(mediaType: String) {
        for compression in LayerCompression.allCases {
            for family in MediaTypeFamily.allCases where compression.layerMediaType(in: family) == mediaType {
                self.init(compression, in: family)
                return
            }
        }
        return nil
    }

    /// OCI manifests list every compression (the registry layer cache's records are OCI).
    public static func oci(_ compression: LayerCompression) -> LayerFormat {
        // Cannot fail: every compression has an OCI layer media type.
        LayerFormat(compression, in: .oci)!
    }

    /// The format a patched platform image gets, or the one-line refusal of a compression its
    /// family cannot list. The engine asks this of every platform before it builds anything.
    static func forPatching(_ compression: LayerCompression, family: MediaTypeFamily, image: String) throws -> LayerFormat {
        guard let format = LayerFormat(compression, in: family) else {
            throw PatchError.invalidOption(
                "--compression",
                "\(compression.rawValue) is for OCI images only: \(image) has Docker media types, and a Docker manifest lists gzip layers only (use --compression gzip, or convert the image to OCI first)"
            )
        }
        return format
    }
}

/// A streaming compressor: bytes in, compressed chunks out to `sink` as they are produced, then
/// the end of the stream. Each compression's wrapper module provides one.
protocol LayerEncoder: AnyObject {
    func write(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void) throws
    func finish(to sink: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension GzipEncoder: LayerEncoder {}
extension ZstdEncoder: LayerEncoder {}
