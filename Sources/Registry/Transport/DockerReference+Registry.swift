import OCI

/// What only the registry client needs to know about a reference.
extension DockerReference {
    /// The host the API is served from (Docker Hub's API lives elsewhere than its name).
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// Loopback registries may be reached over plain HTTP, as Docker allows.
    public var isLoopback: Bool {
        let host = Self.hostWithoutPort(registry)
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    static func hostWithoutPort(_ registry: String) -> String {
        if registry.hasPrefix("["), let end = registry.firstIndex(of: "]") { return String(registry[...end]) }
        return String(registry.split(separator: ":").first ?? Substring(registry))
    }
}
