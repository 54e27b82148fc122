import OCI

/// Turns a reference as users type it into a transport. The engine never sees which one it got.
enum ReferenceResolver {
    /// Transports skopeo knows that imagepatch does not read; named so the error is clear.
    static let unsupportedTransports = ["containers-storage", "dir", "docker-daemon", "ostree", "sif", "tarball"]

    static func source(_ text: String) throws -> any ImageSource {
        if let local = try LocalReference(parsing: text) { return try local.openSource() }
        throw unsupported(text)
    }

    static func destination(_ text: String) throws -> any ImageDestination {
        if let local = try LocalReference(parsing: text) { return try local.openDestination() }
        throw unsupported(text)
    }

    private static func unsupported(_ text: String) -> OCIError {
        let prefix = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
        // "name:tag" is a registry reference; "word:/path" or "word:./path" can only be a transport.
        let rest = text.dropFirst(prefix.count + 1)
        let looksLikeTransport = rest.hasPrefix("/") || rest.hasPrefix(".") || text.contains("://")
        if unsupportedTransports.contains(prefix) || (looksLikeTransport && !text.hasPrefix("docker://")) {
            return .invalidReference(text, "unknown or unsupported transport \(prefix): (use oci:, oci-archive:, docker-archive: or docker://)")
        }
        return .invalidReference(text, "registry references (docker://) are not supported by this build yet; use oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME]")
    }
}
