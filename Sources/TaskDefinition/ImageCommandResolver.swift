import ImagePatch
import OCI

/// What the task-definition patchers need to know about an image for one platform: the command it
/// runs when the task does not override it, and (for embedded mode) its digests and labels.
public struct ResolvedImage: Sendable, Equatable {
    /// The manifest or index the reference names: what a task pins.
    public var rootDigest: Digest?
    /// The platform's own manifest (equal to `rootDigest` for a single-manifest image).
    public var platformDigest: Digest?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var labels: [String: String]
    /// Set when the config's Entrypoint or Cmd has the wrong JSON type (then `entrypoint`/`cmd` are
    /// not what the image runs). Reading the image for its digest or labels is still fine.
    public var invalidCommand: InvalidField?

    public struct InvalidField: Sendable, Equatable {
        public let field: String
        public let reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    public init(
        rootDigest: Digest? = nil, platformDigest: Digest? = nil, entrypoint: [String]?, cmd: [String]?,
        labels: [String: String] = [:], invalidCommand: InvalidField? = nil
    ) {
        self.rootDigest = rootDigest
        self.platformDigest = platformDigest
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.labels = labels
        self.invalidCommand = invalidCommand
    }
}

/// Reads an image named in a task definition. The patchers only see this protocol, so they never
/// know about registries or credentials; the command line provides an implementation that opens
/// `docker://` sources with the run's credentials, and tests can provide a table.
public protocol ImageCommandResolver: Sendable {
    func resolve(image: String, platform: Platform) async throws -> ResolvedImage
}

/// A resolver that opens the image with `open` and reads its configs with `ImageInspector`.
public struct InspectingImageResolver: ImageCommandResolver {
    let open: @Sendable (String) async throws -> any ImageSource

    public init(open: @escaping @Sendable (String) async throws -> any ImageSource) {
        self.open = open
    }

    public func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
        let report = try await ImageInspector.inspect(try await open(image))
        guard let match = report.platforms.first(where: { $0.platform.matches(platform) }) else {
            throw PlatformMissing(platform: platform.description, available: report.platforms.map(\.platform.description))
        }
        var labels: [String: String] = [:]
        for (key, value) in match.config.labels { labels[key] = value }
        var resolved = ResolvedImage(
            rootDigest: report.root.digest, platformDigest: match.digest,
            entrypoint: match.config.entrypoint, cmd: match.config.cmd, labels: labels)
        // ImageConfig's accessors skip what is not an array of strings; the wrong type is recorded
        // so that a container that would run this command refuses it rather than wrap a different one.
        for field in ["Entrypoint", "Cmd"] where resolved.invalidCommand == nil {
            if let value = match.config.runtime[field], !value.isNull,
                let (path, reason) = JSONShape.array(of: .string).mismatch(value, at: field)
            {
                resolved.invalidCommand = ResolvedImage.InvalidField(field: path, reason: reason)
            }
        }
        return resolved
    }

    /// Thrown when the image exists but not for the task's platform; the patcher names the container.
    public struct PlatformMissing: Error, CustomStringConvertible {
        public let platform: String
        public let available: [String]
        public var description: String { "it has no \(platform) image (it has: \(available.joined(separator: ", ")))" }
    }
}

/// Reads each (image, platform) once per run, however many containers share it.
public actor CachingResolver {
    private let base: any ImageCommandResolver
    private var cache: [String: ResolvedImage] = [:]

    public init(_ base: any ImageCommandResolver) { self.base = base }

    public func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
        let key = "\(image)\u{0}\(platform.normalized)"
        if let hit = cache[key] { return hit }
        let value = try await base.resolve(image: image, platform: platform)
        cache[key] = value
        return value
    }

    /// The same, with failures reported as errors that name the container and why it was read.
    public func resolve(image: String, platform: Platform, container: String, purpose: String) async throws -> ResolvedImage {
        do {
            return try await resolve(image: image, platform: platform)
        } catch let missing as InspectingImageResolver.PlatformMissing {
            throw TaskDefinitionError.imageLacksPlatform(
                container: container, image: image, platform: missing.platform,
                available: missing.available)
        } catch {
            throw TaskDefinitionError.cannotReadImage(container: container, image: image, purpose: purpose, reason: "\(error)")
        }
    }
}
