import OCI

/// What only the registry client needs to know about a reference.
extension DockerReference {
    /// The host the API is served from (Docker Hub's API lives elsewhere than its name).
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// Loopback registries may be reached over plain HTTP, as Docker allows.
    public var isLoopback: Bool { Self.isLoopbackHost(Self.hostWithoutPort(registry)) }

    /// `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8 — parsed, so `127.evil.example` is not.
    static func isLoopbackHost(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }),
              octets.allSatisfy({ Int($0)! <= 255 }) else { return false }
        return octets[0] == "127"
    }

    static func hostWithoutPort(_ registry: String) -> String {
        if registry.hasPrefix("["), let end = registry.firstIndex(of: "]") { return String(registry[...end]) }
        return String(registry.split(separator: ":").first ?? Substring(registry))
    }
}
