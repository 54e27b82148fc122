import OCI

/// The agents imagepatch knows how to embed. A preset fills in where the agent lives in its image,
/// where it goes in the application image, how it is started and how it is configured; every part
/// can be overridden with flags. The `taskdef` command uses the same presets.
public enum AgentPreset: String, Sendable, CaseIterable {
    case falcon, lacework, none

    public var defaultInstallDirectory: String? {
        switch self {
        case .falcon: "/opt/CrowdStrike/rootfs"
        case .lacework: "/var/lib/lacework-backup"
        case .none: nil
        }
    }

    public var defaultAgentRoot: String {
        switch self {
        case .falcon, .none: "/"
        case .lacework: "/var/lib/lacework-backup"
        }
    }

    /// Top-level paths of the agent tree to take, when they exist; nil takes the whole agent root.
    public var defaultIncludes: [String]? {
        switch self {
        case .falcon: ["bin", "etc", "lib", "lib64", "usr", "entrypoint-ecs.sh"]
        case .lacework, .none: nil
        }
    }

    /// `chmod -R a=rX`, as the Falcon documentation does after copying the sensor.
    public var normalizesModes: Bool { self == .falcon }

    public var defaultLauncher: [String]? {
        switch self {
        case .lacework: ["/var/lib/lacework-backup/lacework-sidecar.sh"]
        case .falcon, .none: nil
        }
    }

    /// The falcon ECS launcher runs the agent's bash through the agent's own dynamic loader, so it
    /// works whatever libc the application image has, or none.
    public static func falconLoader(for platform: Platform) throws -> String {
        switch platform.normalized.architecture {
        case "amd64": "ld-linux-x86-64.so.2"
        case "arm64": "ld-linux-aarch64.so.1"
        default: throw PatchError.unsupportedArchitecture(platform.architecture)
        }
    }

    public static func falconLoaderLauncher(installDirectory: String, platform: Platform) throws -> [String] {
        let loader = try falconLoader(for: platform)
        return ["\(installDirectory)/lib64/\(loader)", "--library-path", "\(installDirectory)/lib64",
                "\(installDirectory)/bin/bash", "\(installDirectory)/entrypoint-ecs.sh"]
    }

    public static let falconCloudServices = ["ECS_FARGATE", "ACA", "ACI", "CLOUDRUN"]

    /// `FALCONCTL_OPTS=--cid=CID [opts]`, shared by image patching and task definitions.
    public static func falconctlOptions(cid: String, extra: String?) -> String {
        ["--cid=\(cid)", extra].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " ")
    }

    /// A Falcon CID is 32 hex digits, optionally followed by a dash and a two-digit checksum.
    public static func isValidFalconCID(_ cid: String) -> Bool {
        let parts = cid.split(separator: "-", omittingEmptySubsequences: false)
        let isHex: (Substring) -> Bool = { $0.allSatisfy(\.isHexDigit) }
        guard parts.count <= 2, parts[0].count == 32, isHex(parts[0]) else { return false }
        return parts.count == 1 || (parts[1].count == 2 && isHex(parts[1]))
    }
}
