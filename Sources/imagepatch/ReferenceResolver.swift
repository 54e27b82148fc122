import OCI
import Registry

/// Turns a reference as users type it into a transport. The engine never sees which one it got.
struct ReferenceResolver {
    /// Transports skopeo knows that imagepatch does not read; named so the error is clear.
    static let unsupportedTransports = ["containers-storage", "dir", "docker-daemon", "ostree", "sif", "tarball"]

    let registry: RegistryTransport

    func source(_ text: String) async throws -> any ImageSource {
        if let local = try LocalReference(parsing: text) { return try local.openSource() }
        try Self.refuseUnknownTransport(text)
        return try await registry.source(text)
    }

    func destination(_ text: String) async throws -> any ImageDestination {
        if let local = try LocalReference(parsing: text) { return try local.openDestination() }
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
