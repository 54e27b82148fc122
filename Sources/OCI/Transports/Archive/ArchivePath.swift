/// Lexical normalisation of archive member names.
public enum ArchivePath {
    public enum Problem: Error, Equatable {
        case absolute, climbsOut, climbs
    }

    /// The name without `./` and empty components, or nil for the archive root itself.
    /// Absolute names are refused; `..` is refused outright unless `allowInnerParent`, which
    /// accepts it as long as it stays inside (`a/../b`), as `docker save` link targets need.
    public static func components(_ name: String, allowInnerParent: Bool) -> Result<String?, Problem> {
        if name.bytesHavePrefix("/") { return .failure(.absolute) }
        var parts: [String] = []
        for component in name.pathComponents() {
            switch component {
            case ".": continue
            case "..":
                guard allowInnerParent else { return .failure(.climbs) }
                guard !parts.isEmpty else { return .failure(.climbsOut) }
                parts.removeLast()
            default: parts.append(component)
            }
        }
        return .success(parts.isEmpty ? nil : parts.joined(separator: "/"))
    }

    static func normalize(_ name: String, what: String) throws -> String? {
        switch components(name, allowInnerParent: true) {
        case .success(let path): return path
        case .failure(.absolute): throw OCIError.unsafePath(what: what, path: name, reason: "absolute names are not allowed")
        case .failure: throw OCIError.unsafePath(what: what, path: name, reason: "it climbs out of the archive with ..")
        }
    }
}
