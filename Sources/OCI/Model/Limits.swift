/// Upper bounds on what imagepatch accepts from untrusted input. The distribution spec asks
/// registries to accept manifests of at least 4 MiB; configs of real images are far below 8 MiB.
public enum Limits {
    public static let manifestBytes = 4 << 20
    public static let configBytes = 8 << 20
    public static let indexJSONBytes = 4 << 20
    public static let dockerArchiveManifestBytes = 4 << 20
    public static let maxIndexEntries = 1024
    public static let maxLayers = 1024
}
