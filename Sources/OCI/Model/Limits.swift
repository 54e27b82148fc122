/// Upper bounds on what imagepatch accepts from untrusted input. The distribution spec asks
/// registries to accept manifests of at least 4 MiB; configs of real images are far below 8 MiB.
public enum Limits {
    public static let manifestBytes = 4 << 20
    public static let configBytes = 8 << 20
    public static let indexJSONBytes = 4 << 20
    public static let dockerArchiveManifestBytes = 4 << 20
    public static let maxIndexEntries = 1024
    public static let maxLayers = 1024
    /// No layer of a container image comes near this; a descriptor claiming more is hostile or broken.
    public static let blobBytes: Int64 = 64 << 30
    /// The default for what unpacking an `oci-archive:` or `docker-archive:` file may write to disk
    /// (the sum of its entries' sizes); `--max-archive-size` changes it. A decompression bomb or a
    /// sparse entry stops here, not at a full disk.
    public static let archiveUnpackedBytes: Int64 = 4 << 30
    /// Entries kept in memory while the agent's layers are merged.
    public static let agentEntries = 2_000_000
}
