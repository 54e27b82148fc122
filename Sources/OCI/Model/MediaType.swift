/// The media types imagepatch reads and writes, and the two families they belong to.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociNondistributableLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
    public static func isSchema1(_ type: String) -> Bool { type == dockerSchema1 || type == dockerSchema1Signed }
}

/// OCI and Docker media types are not mixed in one image: a Docker list holds Docker manifests,
/// whose layers are Docker layers. Patching keeps the family of the source. The agent layer's media
/// type in each family is its compression's to say (`LayerCompression` in ImagePatch).
public enum MediaTypeFamily: String, CaseIterable, Sendable {
    case oci, docker

    public init?(manifestOrIndex type: String) {
        switch type {
        case MediaType.ociIndex, MediaType.ociManifest: self = .oci
        case MediaType.dockerManifestList, MediaType.dockerManifest: self = .docker
        default: return nil
        }
    }

    public var index: String { self == .oci ? MediaType.ociIndex : MediaType.dockerManifestList }
    public var manifest: String { self == .oci ? MediaType.ociManifest : MediaType.dockerManifest }
    public var config: String { self == .oci ? MediaType.ociConfig : MediaType.dockerConfig }
}
