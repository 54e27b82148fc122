import OCI

/// Paths inside the agent image, relative and normalised ("lib64/libc.so.6"). Agent tar entries
/// are untrusted: an absolute name or a `..` component is refused rather than cleaned up, because
/// a well-formed image never has one and guessing what a hostile one meant is how escapes happen.
enum AgentPath {
    /// Linux's PATH_MAX: no name or link target in a real image is longer.
    static let maxNameBytes = 4096

    static func normalize(entry name: String, place: String) throws -> String? {
        switch ArchivePath.components(name, allowInnerParent: false) {
        case .success(let path): return path
        case .failure(.absolute):
            throw PatchError.hostileAgentEntry(place: place, path: name, reason: "absolute names are not allowed in a layer")
        case .failure:
            throw PatchError.hostileAgentEntry(place: place, path: name, reason: "\"..\" would escape the layer's root")
        }
    }

    /// Normalises a user-given absolute path (`--install-dir`, `--agent-root`, `--include`).
    static func normalize(option value: String, name: String) throws -> String {
        var parts: [String] = []
        for component in value.pathComponents() {
            if component == "." { continue }
            if component == ".." { throw PatchError.invalidOption(name, "\(value.debugDescription) must not contain \"..\"") }
            parts.append(component)
        }
        return parts.joined(separator: "/")
    }

    static func parent(_ path: String) -> String { path.pathParent() }

    /// Whether `path` is `base` or lies under it ("" is the root and contains everything).
    static func isWithin(_ path: String, _ base: String) -> Bool {
        base.isEmpty || path.bytesEqual(base) || path.bytesHavePrefix(base + "/")
    }

    static func join(_ base: String, _ relative: String) -> String {
        if base.isEmpty { return relative }
        if relative.isEmpty { return base }
        return base + "/" + relative
    }

    static func relative(_ path: String, to base: String) -> String {
        if base.isEmpty { return path }
        if path.bytesEqual(base) { return "" }
        return path.droppingFirstBytes(base.utf8.count + 1)
    }
}
