import ArgumentParser
import Foundation
import ImagePatch
import Logging
import OCI

/// Where built agent layers are kept between runs (`patch` and `fleet run`).
struct CacheFlags: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp(
            "Where agent layers are kept between runs (default: $XDG_CACHE_HOME/imagepatch or ~/.cache/imagepatch).", valueName: "dir"))
    var cacheDir: String?

    @Option(
        name: .customLong("cache-max"),
        help: ArgumentHelp(
            "The most the cached layers may take (bytes, or with K, M, G, T; default 2G); the least recently used go first.",
            valueName: "size"))
    var cacheMax: String?

    @Flag(
        name: .customLong("no-cache"), help: "Build every agent layer afresh and keep none (the local cache; --layer-cache still applies).")
    var noCache = false

    @Option(
        name: .customLong("layer-cache"),
        help: ArgumentHelp(
            "A registry repository where agent layers are shared between machines: one artifact per layer key, tagged by it.",
            valueName: "registry/repo"))
    var layerCache: String?

    /// `--layer-cache` as the engine takes it: the repository reached through `resolver`'s registry.
    func makeRegistryLayerCache(resolver: ReferenceResolver, logger: Logger) throws -> RegistryLayerCache? {
        guard let layerCache else { return nil }
        let text = layerCache.hasPrefix("docker://") ? String(layerCache.dropFirst("docker://".count)) : layerCache
        // A repository: no tag (a colon in the last component) and no digest; the tags are the keys.
        guard !text.contains("@"), text.split(separator: "/").last?.contains(":") != true,
            (try? DockerReference(parsing: text)) != nil
        else {
            throw PatchError.invalidOption(
                "--layer-cache", "\(layerCache.debugDescription) is not a registry repository (REGISTRY/REPO, no tag or digest)")
        }
        return RegistryLayerCache(repository: RegistryLayerRepository(repository: text, resolver: resolver), logger: logger)
    }

    /// nil with --no-cache, or when no directory is given and neither variable names one.
    func makeCache(logger: Logger) throws -> AgentLayerCache? {
        let maxBytes = try cacheMax.map { try CommandLineNumbers.size($0, option: "--cache-max") } ?? AgentLayerCache.defaultMaxBytes
        guard !noCache else {
            if cacheDir != nil { throw PatchError.invalidOption("--no-cache", "cannot be given with --cache-dir") }
            return nil
        }
        if let cacheDir, cacheDir.isEmpty { throw PatchError.invalidOption("--cache-dir", "must name a directory") }
        guard let directory = cacheDir ?? AgentLayerCache.defaultDirectory(environment: ProcessInfo.processInfo.environment) else {
            return nil
        }
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        return AgentLayerCache(directory: absolute, maxBytes: maxBytes, logger: logger)
    }
}

/// `--layer-cache REGISTRY/REPO`, as the engine's `LayerCacheRepository`: tags of that repository.
struct RegistryLayerRepository: LayerCacheRepository {
    let repository: String
    let resolver: ReferenceResolver
    var name: String { repository }

    func source(tag: String) async throws -> any ImageSource { try await resolver.source("docker://\(repository):\(tag)") }
    func destination(tag: String) async throws -> any ImageDestination { try await resolver.destination("docker://\(repository):\(tag)") }
}
