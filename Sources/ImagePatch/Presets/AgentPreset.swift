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

    /// A Falcon CID is 32 hex digits, optionally followed by a dash and a two-digit checksum. ASCII
    /// only: `Character.isHexDigit` also takes full-width digits, which falconctl would not.
    public static func isValidFalconCID(_ cid: String) -> Bool {
        let parts = cid.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        let isHex = { (part: Substring.UTF8View) -> Bool in
            part.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
        }
        guard parts.count <= 2, parts[0].count == 32, isHex(parts[0]) else { return false }
        return parts.count == 1 || (parts[1].count == 2 && isHex(parts[1]))
    }
}

/// How a preset's agent reaches an ECS task without a patched image: a non-essential container that
/// starts first and hands the agent to the application containers (`imagepatch taskdef --mode sidecar`).
/// Kept beside the image presets so names, paths and launchers are defined once.
public struct SidecarPreset: Sendable {
    /// The container that delivers the agent.
    public let containerName: String
    /// Falcon: a task volume the init container fills; nil when the agent arrives by `volumesFrom`.
    public let volumeName: String?
    /// Where the volume is mounted, in the init container and in every application container.
    public let mountPath: String?
    /// Where the agent tree is once the sidecar has run, as the application containers see it.
    public let installDirectory: String
    /// The init container's own entryPoint (the copy into the volume), or nil to run its image as built.
    public let copyCommand: [String]?
    /// The init container's user: the copy needs root to read the agent tree and chmod it.
    public let initUser: String?
    /// The `dependsOn` condition: COMPLETE (exited, any status) or SUCCESS (exited 0).
    public let dependencyCondition: String
    /// Whether application containers need SYS_PTRACE (the falcon sensor traces the application).
    public let needsPtrace: Bool
    let preset: AgentPreset

    /// The launcher for a task's architecture.
    public func launcher(for platform: Platform) throws -> [String] {
        switch preset {
        case .falcon: try AgentPreset.falconLoaderLauncher(installDirectory: installDirectory, platform: platform)
        case .lacework, .none: preset.defaultLauncher ?? []
        }
    }

    /// Every launcher this preset may have written, whatever the architecture, so a second run can
    /// recognise (and not double) one written before, even for a task whose architecture changed.
    public var knownLaunchers: [[String]] {
        let platforms = [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "arm64")]
        return platforms.compactMap { try? launcher(for: $0) }
    }
}

extension AgentPreset {
    /// The falcon init container copies these from the sensor image (the Falcon ECS guide's list).
    static let falconSidecarCopiedPaths = ["/bin", "/etc", "/lib64", "/usr", "/entrypoint-ecs.sh"]

    /// The sidecar form of the preset; nil for `none`, which has no agent image layout to rely on.
    public var sidecar: SidecarPreset? {
        switch self {
        case .falcon:
            let mount = "/tmp/CrowdStrike"
            let install = mount + "/rootfs"
            let copy = "chmod u+rwx \(mount) && mkdir \(install) && cp -r "
                + (Self.falconSidecarCopiedPaths + [install]).joined(separator: " ")
                + " && chmod -R a=rX \(mount)"
            return SidecarPreset(containerName: "crowdstrike-falcon-init-container", volumeName: "crowdstrike-falcon-volume",
                                 mountPath: mount, installDirectory: install, copyCommand: ["/bin/bash", "-c", copy],
                                 initUser: "0:0", dependencyCondition: "COMPLETE", needsPtrace: true, preset: self)
        case .lacework:
            // The datacollector sidecar image declares its agent directory as a VOLUME and exits 0 once
            // it has filled it; application containers take that volume with `volumesFrom`.
            return SidecarPreset(containerName: "datacollector-sidecar", volumeName: nil, mountPath: nil,
                                 installDirectory: defaultAgentRoot, copyCommand: nil, initUser: nil,
                                 dependencyCondition: "SUCCESS", needsPtrace: false, preset: self)
        case .none:
            return nil
        }
    }

    /// Embedded images: whether application containers need SYS_PTRACE for this agent. Unknown agents
    /// (`none`) get it, as the ptrace-based sensors this tool targets require it.
    public var needsPtrace: Bool { self != .lacework }
}
