import ArgumentParser
import Foundation
import ImagePatch
import Logging

/// Where built agent layers are kept between runs (`patch` and `fleet run`).
struct CacheFlags: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Where agent layers are kept between runs (default: $XDG_CACHE_HOME/imagepatch or ~/.cache/imagepatch).", valueName: "dir"))
    var cacheDir: String?

    @Option(name: .customLong("cache-max"), help: ArgumentHelp("The most the cached layers may take (bytes, or with K, M, G, T; default 2G); the least recently used go first.", valueName: "size"))
    var cacheMax: String?

    @Flag(name: .customLong("no-cache"), help: "Build every agent layer afresh and keep none.")
    var noCache = false

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
