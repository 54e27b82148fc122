import OCI

/// The CrowdStrike Falcon container sensor: its image is a root filesystem (bash, glibc, the sensor)
/// that goes whole into `/opt/CrowdStrike/rootfs`, readable by any user; the sensor traces the
/// application, so it needs SYS_PTRACE; it is configured by `FALCONCTL_OPTS` and `CS_*`.
public struct Falcon: AgentDefinition {
    public init() {}

    public var name: String { "falcon" }

    public var paths: AgentPaths {
        AgentPaths(
            installDirectory: "/opt/CrowdStrike/rootfs", agentRoot: "/",
            includes: ["bin", "etc", "lib", "lib64", "usr", "entrypoint-ecs.sh"])
    }

    /// `chmod -R a=rX`, as the Falcon documentation does after copying the sensor.
    public var modes: AgentModePolicy { .readableByAll }

    public var launcher: AgentLauncherStrategy { .discovered(Launcher()) }

    public static let cid = AgentSetting(.flag("cid"), meaning: "your Falcon customer ID", requiredIn: [.image, .taskSidecar])
    public static let falconctlOptions = AgentSetting(
        .flag("falconctl-opts"), meaning: "more falconctl options, appended to FALCONCTL_OPTS")
    public static let cloudService = AgentSetting(.flag("cloud-service"), meaning: "CS_CLOUD_SERVICE")
    public static let container = AgentSetting(.flag("container"), meaning: "CS_CONTAINER, the container name the sensor reports")

    // falconutil's Azure flags. CrowdStrike's falconutil GitHub Action (CrowdStrike/falconutil-action,
    // action.yml) documents container_group "for Azure Container Instances" and resource_group and
    // subscription "for Azure Container Instances and Azure Container Apps", passed to falconutil as
    // --container-group, --resource-group and --subscription; the images falconutil writes carry them
    // as CS_AZURE_CONTAINER_GROUP, CS_AZURE_RESOURCE_GROUP and CS_AZURE_SUBSCRIPTION.
    public static let containerGroup = AgentSetting(
        .flag("container-group"), meaning: "CS_AZURE_CONTAINER_GROUP, the Azure container group (ACI)")
    public static let resourceGroup = AgentSetting(
        .flag("resource-group"), meaning: "CS_AZURE_RESOURCE_GROUP, the Azure resource group (ACI, ACA)")
    public static let subscription = AgentSetting(
        .flag("subscription"), meaning: "CS_AZURE_SUBSCRIPTION, the Azure subscription ID (ACI, ACA)")

    /// Each Azure setting, its variable, and the cloud services it describes.
    static let azureSettings: [(setting: AgentSetting, variable: String, services: [String])] = [
        (containerGroup, "CS_AZURE_CONTAINER_GROUP", ["ACI"]),
        (resourceGroup, "CS_AZURE_RESOURCE_GROUP", ["ACI", "ACA"]),
        (subscription, "CS_AZURE_SUBSCRIPTION", ["ACI", "ACA"]),
    ]

    public var settings: [AgentSetting] {
        [Self.cid, Self.falconctlOptions, Self.cloudService, Self.container] + Self.azureSettings.map(\.setting)
    }

    public static let cloudServices = ["ECS_FARGATE", "ACA", "ACI", "CLOUDRUN"]

    public func imageEnvironment(_ values: AgentSettingValues, installDirectory: String) throws -> [(String, String)] {
        let cid = try values.required(Self.cid, by: name)
        guard Self.isValidCID(cid) else { throw Self.invalidCID }
        let service = values.value(Self.cloudService) ?? "ECS_FARGATE"
        guard Self.cloudServices.contains(service) else {
            throw PatchError.invalidOption("--cloud-service", "must be one of \(Self.cloudServices.joined(separator: ", "))")
        }
        var env = [
            ("FALCONCTL_OPTS", Self.falconctlOptions(cid: cid, extra: values.value(Self.falconctlOptions))),
            ("CS_CLOUD_SERVICE", service),
        ]
        if let container = values.value(Self.container) { env.append(("CS_CONTAINER", container)) }
        for (setting, variable, services) in Self.azureSettings {
            guard let value = values.value(setting) else { continue }
            guard services.contains(service) else {
                throw PatchError.invalidOption(
                    setting.option,
                    "describes Azure \(services.joined(separator: " and ")): give it with --cloud-service \(services.joined(separator: " or "))"
                )
            }
            guard !value.isEmpty else { throw PatchError.invalidOption(setting.option, "is empty") }
            env.append((variable, value))
        }
        env.append(("__CS_FALCON_SENSOR_ROOT", installDirectory))
        return env
    }

    /// Sidecar tasks need the CID; embedded images carry it already, so there it is optional.
    public func taskEnvironment(_ values: AgentSettingValues, use: AgentSettingUse) throws -> AgentTaskEnvironment {
        guard let cid = try Self.checkedCID(values) else {
            if values.value(Self.falconctlOptions) != nil { throw PatchError.invalidOption("--falconctl-opts", "needs --cid") }
            return AgentTaskEnvironment(notice: "no --cid: the containers rely on the FALCONCTL_OPTS their patched images carry")
        }
        return AgentTaskEnvironment(environment: [
            ("FALCONCTL_OPTS", Self.falconctlOptions(cid: cid, extra: values.value(Self.falconctlOptions)))
        ])
    }

    /// The Falcon ECS guide's init-container pattern: the sensor's root filesystem is copied into a
    /// task volume, made world-readable, and run from there.
    public var sidecar: AgentSidecarForm {
        let mount = "/tmp/CrowdStrike"
        let install = mount + "/rootfs"
        let copy =
            "chmod u+rwx \(mount) && mkdir \(install) && cp -r "
            + (Self.sidecarCopiedPaths + [install]).joined(separator: " ")
            + " && chmod -R a=rX \(mount)"
        return .available(
            SidecarPreset(
                containerName: "crowdstrike-falcon-init-container", volumeName: "crowdstrike-falcon-volume",
                mountPath: mount, installDirectory: install, copyCommand: ["/bin/bash", "-c", copy],
                initUser: "0:0", dependencyCondition: "COMPLETE", launcher: launcher))
    }

    /// The falcon init container copies these from the sensor image (the Falcon ECS guide's list).
    static let sidecarCopiedPaths = ["/bin", "/etc", "/lib64", "/usr", "/entrypoint-ecs.sh"]

    public var linuxCapabilities: [String] { ["SYS_PTRACE"] }

    /// `FALCONCTL_OPTS=--cid=CID [opts]`, shared by image patching and task definitions.
    public static func falconctlOptions(cid: String, extra: String?) -> String {
        ["--cid=\(cid)", extra].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " ")
    }

    /// A Falcon CID is 32 hex digits, optionally followed by a dash and a two-digit checksum. ASCII
    /// only: `Character.isHexDigit` also takes full-width digits, which falconctl would not.
    public static func isValidCID(_ cid: String) -> Bool {
        let parts = cid.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        let isHex = { (part: Substring.UTF8View) -> Bool in
            part.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
        }
        guard parts.count <= 2, parts[0].count == 32, isHex(parts[0]) else { return false }
        return parts.count == 1 || (parts[1].count == 2 && isHex(parts[1]))
    }

    /// The CID when given, refused when it is not one.
    static func checkedCID(_ values: AgentSettingValues) throws -> String? {
        guard let cid = values.value(cid) else { return nil }
        guard isValidCID(cid) else { throw invalidCID }
        return cid
    }

    static let invalidCID = PatchError.invalidOption("--cid", "is not a Falcon CID (32 hex digits, optionally -XX)")

    /// The falcon ECS launcher runs the agent's bash through the agent's own dynamic loader, so it
    /// works whatever libc the application image has, or none.
    public static func loader(for platform: Platform) throws -> String {
        switch platform.normalized.architecture {
        case "amd64": "ld-linux-x86-64.so.2"
        case "arm64": "ld-linux-aarch64.so.1"
        default: throw PatchError.unsupportedArchitecture(platform.architecture)
        }
    }

    /// `<install>/…/falcon-entrypoint` when the sensor has one, else the ECS form with the loader of
    /// the platform being patched.
    struct Launcher: LauncherDiscovery {
        func find(in files: any AgentFiles, installDirectory: String, platform: Platform, agent: String) throws -> [String] {
            // The first by byte order, found without sorting every path (this runs for every image of a fleet).
            if let entrypoint = files.paths.filter({ $0.string.pathLastComponent().bytesEqual("falcon-entrypoint") }).min() {
                return ["/" + entrypoint.string]
            }
            let launcher = try standard(installDirectory: installDirectory, platform: platform)
            let missing = [launcher[0], launcher[3], launcher[4]].filter { !files.contains($0) }
            guard missing.isEmpty else {
                throw PatchError.launcherNotFound(
                    agent: agent,
                    reason: "it has no falcon-entrypoint, and the ECS launcher needs \(missing.joined(separator: ", "))")
            }
            return launcher
        }

        func standard(installDirectory: String, platform: Platform) throws -> [String] {
            let loader = try Falcon.loader(for: platform)
            return [
                "\(installDirectory)/lib64/\(loader)", "--library-path", "\(installDirectory)/lib64",
                "\(installDirectory)/bin/bash", "\(installDirectory)/entrypoint-ecs.sh",
            ]
        }
    }
}

extension AgentPreset {
    public static let falcon = AgentPreset(Falcon())
}
