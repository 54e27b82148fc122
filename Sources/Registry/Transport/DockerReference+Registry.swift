import OCI

/// What only the registry client needs to know about a reference.
extension DockerReference {
    /// The host the API is served from (Docker Hub's API lives elsewhere than its name).
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// Loopback registries may be reached over plain HTTP, as Docker allows.
    public var isLoopback: Bool { Self.isLoopbackHost(Self.hostWithoutPort(registry)) }

    /// `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8 — parsed as ASCII digits, so neither
    /// `127.evil.example` nor `١٢٧.0.0.1` (Arabic-Indic digits, from a hostile challenge) is.
    static func isLoopbackHost(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.map { $0.utf8.count <= 3 ? ASCIINumber.parse($0, in: 0...255) : nil }
        return values.allSatisfy { $0 != nil } && values[0] == 127
    }

    static func hostWithoutPort(_ registry: String) -> String {
        if registry.hasPrefix("["), let end = registry.firstIndex(of: "]") { return String(registry[...end]) }
        return String(registry.split(separator: ":").first ?? Substring(registry))
    }
}
