import ImagePatch
import JSON
import OCI

/// What `taskdef --mode embedded` was asked to do.
public struct EmbeddedOptions: Sendable {
    public var preset: AgentPreset = .falcon
    /// `--image-map OLD=NEW`: containers running OLD get NEW (a patched image).
    public var imageMap: [(old: String, new: String)] = []
    /// `--from-patch-result FILE`: the patched images `imagepatch patch --json` reported.
    public var patchResults: [PatchResultFile] = []
    /// Deploy-time agent settings. Patched images carry them already; given here they are set in the
    /// task as well (and win, since a task's environment overrides an image's): the agent's setting
    /// flags by long name (`cid`, `falconctl-opts`), and `--env`.
    public var agentSettings: [String: String] = [:]
    public var env: [(String, String)] = []
    /// The launcher to prepend to entryPoint overrides; without it, the patch result's or the
    /// patched image's own (read from its `io.imagepatch.launcher` label).
    public var launcher: [String]?

    public init() {}
}

/// Task definitions for images patched with `imagepatch patch`: each container that runs a patched
/// source gets the patched image pinned by digest, the capability the agent needs, its settings when
/// given, and the launcher in front of any entryPoint the task sets (which would otherwise replace
/// the patched image's Entrypoint and so bypass the agent).
public struct EmbeddedPatcher: Sendable {
    let options: EmbeddedOptions
    /// What the agent's settings give each patched container, and what to say about them.
    let agentEnvironment: AgentTaskEnvironment
    let resolver: any ImageCommandResolver

    public init(options: EmbeddedOptions, resolver: any ImageCommandResolver) throws {
        guard !options.imageMap.isEmpty || !options.patchResults.isEmpty else {
            throw TaskDefinitionError.invalidOption("--mode embedded", "needs --image-map OLD=NEW or --from-patch-result FILE")
        }
        for (old, new) in options.imageMap {
            guard !old.isEmpty, !new.isEmpty else {
                throw TaskDefinitionError.invalidOption("--image-map", "needs OLD=NEW with both images named")
            }
            guard !ImageName.isLocalTransport(new) else {
                throw TaskDefinitionError.invalidOption("--image-map", "\(new) is not a registry image ECS can pull")
            }
        }
        let values = AgentSettingValues(flags: options.agentSettings, environment: options.env)
        try options.preset.checkSettings(values, for: .taskEmbedded)
        agentEnvironment = try options.preset.definition.taskEnvironment(values, use: .taskEmbedded)
        if let launcher = options.launcher, launcher.first?.isEmpty ?? true {
            throw TaskDefinitionError.invalidOption("--launcher", "must name a program")
        }
        self.options = options
        self.resolver = resolver
    }

    /// Where a matched container's image goes, and how to find the launcher if the task needs it.
    private struct Target {
        var reference: String
        /// The launcher, and a notice when it had to be guessed from the preset.
        var launcher: @Sendable () async throws -> (launcher: [String], note: String?)
    }

    public func patch(_ input: TaskDefinitionDocument) async throws -> TaskPatchResult {
        var document = input
        var notices = input.notices
        let platform = try TaskPlatform.of(document.object)
        let resolver = CachingResolver(resolver)
        var containers = document.containers
        var patched: [String] = []

        for i in containers.indices {
            var editor = ContainerEditor(container: containers[i])
            let name = editor.name
            guard let image = editor.image, !image.isEmpty else { continue }
            if editor.isOptedOut {
                notices.append("skipping container \(name.debugDescription): it is labelled \(ContainerEditor.optOutLabel)=disabled")
                continue
            }
            guard let target = try await target(for: image, container: name, platform: platform, resolver: resolver) else { continue }

            editor.container["image"] = .string(target.reference)
            for capability in options.preset.definition.linuxCapabilities { try editor.addCapability(capability) }
            for (key, value) in agentEnvironment.environment + options.env { try editor.setEnvironment(key, value) }
            if let entryPoint = try editor.strings("entryPoint") {
                let (launcher, note) = try await target.launcher()
                if let note { notices.append(note) }
                let wrapped = ContainerEditor.wrap(entryPoint, with: launcher, known: [])
                if wrapped != entryPoint {
                    editor.setStrings("entryPoint", wrapped)
                    notices.append(
                        "container \(name.debugDescription) sets entryPoint, which replaces the patched image's and would bypass the agent: prepended its launcher \(SidecarPatcher.text(launcher))"
                    )
                }
            }
            containers[i] = editor.container
            patched.append("\(name.debugDescription) -> \(target.reference)")
        }
        guard !patched.isEmpty else {
            let images = containers.compactMap { $0["image"]?.stringValue }
            throw TaskDefinitionError.nothingToPatch(
                "no container runs an image named by --image-map or --from-patch-result (the task's images: \(images.joined(separator: ", ")))"
            )
        }
        if let notice = agentEnvironment.notice { notices.append(notice) }
        document.setContainers(containers)
        notices.append("patched images for \(platform): \(patched.joined(separator: ", "))")
        return TaskPatchResult(document: document, notices: notices)
    }

    private func target(for image: String, container: String, platform: Platform, resolver: CachingResolver) async throws -> Target? {
        let normalized = ImageName.normalized(image)
        for (old, new) in options.imageMap {
            if normalized == ImageName.normalized(old) || normalized == ImageName.normalized(new) {
                return try await mapTarget(new: new, current: nil, container: container, platform: platform, resolver: resolver)
            }
            // A second run: the container already has NEW pinned by digest.
            if let digest = ImageName.digest(of: image),
                ImageName.normalized(ImageName.split(image).name) == ImageName.normalized(ImageName.split(new).name),
                ImageName.digest(of: new).map({ $0 == digest }) ?? true
            {
                return try await mapTarget(new: new, current: image, container: container, platform: platform, resolver: resolver)
            }
        }
        for result in options.patchResults {
            guard try await matches(image, result, container: container, platform: platform, resolver: resolver) else { continue }
            if ImageName.isLocalTransport(result.target) {
                throw TaskDefinitionError.notARegistryImage(container: container, image: result.target)
            }
            guard let entry = result.entry(for: platform) else {
                throw TaskDefinitionError.patchResultLacksPlatform(
                    file: result.file, platform: platform.description,
                    available: result.platforms.map(\.platform.description))
            }
            let preset = options.preset
            let explicit = options.launcher
            return Target(reference: ImageName.pinned(result.target, digest: result.digest)) {
                if let launcher = explicit ?? entry.launcher { return (launcher, nil) }
                return (
                    try Self.defaultLauncher(preset, platform: platform, container: container),
                    "the patch result \(result.file) names no launcher; using the \(preset.rawValue) preset's"
                )
            }
        }
        return nil
    }

    /// `--image-map`: NEW pinned by digest (read from its registry when NEW names none), and the
    /// launcher from its imagepatch labels when the task overrides the entryPoint.
    private func mapTarget(
        new: String, current: String?, container: String, platform: Platform,
        resolver: CachingResolver
    ) async throws -> Target {
        let reference: String
        if let current {
            reference = current
        } else if let digest = ImageName.digest(of: new) {
            reference = ImageName.split(new).name + "@" + digest.description
        } else {
            let resolved = try await resolver.resolve(image: new, platform: platform, container: container, purpose: "to pin it by digest")
            guard let digest = resolved.rootDigest else {
                throw TaskDefinitionError.cannotReadImage(
                    container: container, image: new, purpose: "to pin it by digest", reason: "no digest")
            }
            reference = ImageName.pinned(new, digest: digest)
        }
        let preset = options.preset
        let explicit = options.launcher
        return Target(reference: reference) {
            if let explicit { return (explicit, nil) }
            let resolved = try await resolver.resolve(
                image: reference, platform: platform, container: container,
                purpose: "to find the launcher its entryPoint override must start with")
            if let text = resolved.labels[PatchLabels.launcher],
                let array = (try? JSONValue(parsing: Array(text.utf8)))?.arrayValue,
                !array.isEmpty, array.allSatisfy({ $0.stringValue != nil })
            {
                return (array.compactMap(\.stringValue), nil)
            }
            return (
                try Self.defaultLauncher(preset, platform: platform, container: container),
                "the image \(reference) of container \(container.debugDescription) has no imagepatch launcher label; using the \(preset.rawValue) preset's launcher"
            )
        }
    }

    /// Whether a container's image is the source of a patch result: by name when the result names
    /// its source, else by digest (pinned in the task, or read from the registry).
    private func matches(
        _ image: String, _ result: PatchResultFile, container: String, platform: Platform,
        resolver: CachingResolver
    ) async throws -> Bool {
        let normalized = ImageName.normalized(image)
        if !ImageName.isLocalTransport(result.target),
            normalized == ImageName.normalized(ImageName.pinned(result.target, digest: result.digest))
        {
            return true
        }
        if let source = result.source { return normalized == ImageName.normalized(source) }
        let sources = Set(result.platforms.map(\.sourceDigest))
        if let digest = ImageName.digest(of: image) { return sources.contains(digest) }
        let resolved = try await resolver.resolve(
            image: image, platform: platform, container: container,
            purpose: "to compare its digest with the sources in \(result.file)")
        return [resolved.rootDigest, resolved.platformDigest].contains { $0.map(sources.contains) == true }
    }

    /// The preset's launcher, for images patched without an imagepatch launcher label.
    static func defaultLauncher(_ preset: AgentPreset, platform: Platform, container: String) throws -> [String] {
        let agent = preset.definition
        if let install = agent.paths.installDirectory,
            let launcher = try agent.launcher.assumed(installDirectory: install, platform: platform)
        {
            return launcher
        }
        throw TaskDefinitionError.invalidOption(
            "--preset \(preset.rawValue)",
            "gives no launcher, and the patched image of container \(container.debugDescription) has no imagepatch launcher label")
    }
}
