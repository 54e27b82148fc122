/// An image platform (`linux/arm64/v8`). Comparison normalises the variants that are implied,
/// as containerd does: `arm64` is `arm64/v8`, `arm` is `arm/v7`, and amd64's `v1` is no variant.
public struct Platform: Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = (variant?.isEmpty ?? true) ? nil : variant
    }

    /// Parses `os/arch[/variant]`, the form `--platform` takes.
    public init(parsing text: String) throws(OCIError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw OCIError.invalidPlatform(text)
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// The canonical form used to match platforms of the application and of the agent.
    public var normalized: Platform {
        var architecture = self.architecture
        var variant = self.variant
        switch architecture {
        case "aarch64": architecture = "arm64"
        case "x86_64", "x86-64": architecture = "amd64"
        default: break
        }
        switch (architecture, variant) {
        case ("arm64", nil): variant = "v8"
        case ("arm", nil): variant = "v7"
        case ("amd64", "v1"): variant = nil
        default: break
        }
        return Platform(os: os, architecture: architecture, variant: variant)
    }

    public func matches(_ other: Platform) -> Bool { normalized == other.normalized }

    /// Index entries with this platform are not runnable images (buildx attestations).
    public var isUnknown: Bool { os == "unknown" || architecture == "unknown" }
}
