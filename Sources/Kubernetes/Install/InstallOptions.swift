import ImagePatch

/// What `imagepatch k8s install` was asked for: where the webhook runs, the imagepatch image it
/// runs, and the agent it injects (the same preset flags as `k8s inject` and `taskdef`).
public struct InstallOptions: Sendable {
    /// The namespace of the webhook's Deployment, Service and certificates (created by the output).
    public var namespace = "falcon-system"
    /// The imagepatch image the webhook's pods run.
    public var image = ""
    /// The agent injected into pods; it must have a sidecar form (an init container delivers it).
    public var preset: AgentPreset = .falcon
    /// The image the injected init container runs.
    public var agentImage: String?
    /// The agent's setting flags by long name (`cid`, `falconctl-opts`), as the preset declares them.
    public var agentSettings: [String: String] = [:]
    /// cert-manager issues and rotates the serving certificate instead of a Secret made here.
    public var certManager = false
    /// How long the CA and serving certificate made here are valid.
    public var validityDays = 3650
    /// The webhook's replicas.
    public var replicas = 2
    /// A `kubernetes.io/dockerconfigjson` Secret in the webhook's namespace with the credentials for
    /// reading the Entrypoint/Cmd of images in private registries; mounted and given as `--authfile`.
    public var registryAuthSecret: String?

    public init() {}

    /// The label that opts a namespace or a pod out of injection, with the value `disabled`.
    public static let optOutLabel = "sensor.falcon-system.crowdstrike.com/injection"

    /// Refuses what would give manifests the API server rejects, or a webhook that cannot start.
    func validate() throws {
        guard Self.isDNSLabel(namespace) else {
            throw PatchError.invalidOption("--namespace", "\(namespace.debugDescription) is not a DNS label (a-z, 0-9 and -, at most 63)")
        }
        guard namespace != "kube-system" else {
            throw PatchError.invalidOption(
                "--namespace", "kube-system is skipped by the webhook's namespaceSelector; use a namespace of its own")
        }
        try Self.checkImage(image, option: "--image")
        _ = try PodInjector.podForm(of: preset)
        guard let agentImage, !agentImage.isEmpty else {
            throw PatchError.invalidOption("--agent-image", "is required (the image the injected init container runs)")
        }
        try Self.checkImage(agentImage, option: "--agent-image")
        try preset.checkSettings(AgentSettingValues(flags: agentSettings), for: .taskSidecar)
        guard (1...36_500).contains(validityDays) else {
            throw PatchError.invalidOption("--cert-validity-days", "\(validityDays) is not between 1 and 36500")
        }
        if let registryAuthSecret, !Self.isDNSSubdomain(registryAuthSecret) {
            throw PatchError.invalidOption(
                "--registry-auth-secret", "\(registryAuthSecret.debugDescription) is not a Secret name (DNS labels joined by dots)")
        }
        guard (1...100).contains(replicas) else { throw PatchError.invalidOption("--replicas", "\(replicas) is not between 1 and 100") }
    }

    /// A registry image the kubelet can pull: no transport prefix, no whitespace or control characters.
    static func checkImage(_ image: String, option: String) throws {
        guard !image.isEmpty else { throw PatchError.invalidOption(option, "is required") }
        guard !image.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw PatchError.invalidOption(option, "\(image.debugDescription) contains whitespace or control characters")
        }
        let localTransports = ["oci:", "oci-archive:", "docker-archive:", "dir:", "docker-daemon:", "containers-storage:"]
        if image.contains("://") || localTransports.contains(where: { image.hasPrefix($0) }) {
            throw PatchError.invalidOption(
                option, "\(image.debugDescription) is not a registry image the kubelet can pull (give it without a transport)")
        }
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        text.utf8.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// The preset flags the webhook is started with, so that it injects what `k8s inject` would:
    /// `--preset`, `--agent-image`, then the setting flags in the order the preset declares them.
    var webhookPresetArguments: [String] {
        var arguments = ["--preset", preset.rawValue, "--agent-image", agentImage ?? ""]
        for name in preset.definition.settings.compactMap(\.flagName) {
            // `--name=value`: a value that starts with dashes (`--tags=web`) stays one argument.
            if let value = agentSettings[name] { arguments.append("--\(name)=\(value)") }
        }
        return arguments
    }
}
