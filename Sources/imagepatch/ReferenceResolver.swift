import ImagePatch
import OCI
import Registry

/// Turns a reference as users type it into a transport. The engine never sees which one it got.
struct ReferenceResolver {
    /// Transports skopeo knows that imagepatch does not read; named so the error is clear.
    static let unsupportedTransports = ["containers-storage", "dir", "docker-daemon", "ostree", "sif", "tarball"]

    let registry: RegistryTransport
    /// `--max-archive-size`: what a whole `oci-archive:` or `docker-archive:` source may unpack to.
    var maxArchiveBytes: Int64 = Limits.archiveUnpackedBytes

    static let maxArchiveSizeHelp = "The most an oci-archive: or docker-archive: image may unpack to (bytes, or with K, M, G, T: powers of 1024; default 4G)."

    init(registry: RegistryTransport) {
        self.registry = registry
    }

    /// With `--max-archive-size`'s text, when given.
    init(registry: RegistryTransport, maxArchiveSize: String?) throws {
        self.registry = registry
        if let maxArchiveSize { maxArchiveBytes = try CommandLineNumbers.size(maxArchiveSize, option: "--max-archive-size") }
    }

    func source(_ text: String) async throws -> any ImageSource {
        if let local = try LocalReference(parsing: text) { return try local.openSource(maxUnpackedBytes: maxArchiveBytes) }
        try Self.refuseUnknownTransport(text)
        return try await registry.source(text)
    }

    func destination(_ text: String) async throws -> any ImageDestination {
        if let local = try LocalReference(parsing: text) { return try local.openDestination(maxUnpackedBytes: maxArchiveBytes) }
        try Self.refuseUnknownTransport(text)
        return try await registry.destination(text)
    }

    /// `name:tag` is a registry reference; `word:/path`, `word:./path` or `scheme://` other than
    /// docker:// can only be a transport imagepatch does not have.
    private static func refuseUnknownTransport(_ text: String) throws {
        let prefix = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
        let rest = text.dropFirst(prefix.count + 1)
        let looksLikeTransport = rest.hasPrefix("/") || rest.hasPrefix(".")
        if text.hasPrefix("docker://") { return }
        if unsupportedTransports.contains(prefix) || looksLikeTransport {
            throw OCIError.invalidReference(text, "unknown or unsupported transport \(prefix): (use oci:, oci-archive:, docker-archive: or docker://)")
        }
    }
}
