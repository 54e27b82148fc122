/// An image reference in Docker's grammar, normalised as Docker does (registries, `docker-archive`
/// names, task definitions' `image` fields all use it):
/// `nginx` is `docker.io/library/nginx:latest`; `host:port/repo:tag`, `repo@sha256:…` and
/// `repo:tag@sha256:…` (the digest wins and is verified).
public struct DockerReference: Sendable, Hashable, CustomStringConvertible {
    public let registry: String  // "docker.io", "127.0.0.1:5000", "ghcr.io"
    public let repository: String  // "library/nginx"
    public let tag: String?
    public let digest: Digest?

    public static let dockerHub = "docker.io"
    /// Docker's bound on a full name (registry and repository).
    static let maxNameLength = 255

    public init(parsing input: String) throws(OCIError) {
        var text = input
        if text.hasPrefix("docker://") { text.removeFirst("docker://".count) }
        guard !text.isEmpty, text.utf8.count <= 1024 else { throw .invalidReference(input, "it is empty or too long") }
        var digest: Digest?
        if let at = text.firstIndex(of: "@") {
            do { digest = try Digest(parsing: String(text[text.index(after: at)...])) } catch {
                throw .invalidReference(input, "\(error)")
            }
            text = String(text[..<at])
        }
        var tag: String?
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            tag = String(text[text.index(after: colon)...])
            text = String(text[..<colon])
        }
        var components = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = Self.dockerHub
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost" || first.hasPrefix("[")
        {
            registry = first
            components.removeFirst()
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub && components.count == 1 { components.insert("library", at: 0) }
        guard !components.isEmpty, components.allSatisfy(Self.isValidComponent) else {
            throw .invalidReference(input, "the repository name must be lowercase letters, digits and separators (. _ - /)")
        }
        if let tag, !Self.isValidTag(tag) {
            throw .invalidReference(input, "\(tag.debugDescription) is not a valid tag (letters, digits, _ . -, at most 128)")
        }
        guard Self.isValidRegistry(registry) else {
            throw .invalidReference(input, "\(registry.debugDescription) is not a valid registry host")
        }
        // Docker's limit, on the normal form: so the normal form is always a valid reference too.
        let repository = components.joined(separator: "/")
        guard registry.utf8.count + 1 + repository.utf8.count <= Self.maxNameLength else {
            throw .invalidReference(
                input, "its full name, registry included, is longer than Docker's limit of \(Self.maxNameLength) characters")
        }
        self.registry = registry
        self.repository = repository
        self.tag = digest == nil ? (tag ?? "latest") : tag
        self.digest = digest
    }

    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// What to ask the registry for: the digest when there is one.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// Docker's normal form of a name, or the text as it is when it is not a valid reference.
    public static func normalized(_ text: String) -> String {
        (try? DockerReference(parsing: text))?.description ?? text
    }

    private static func isValidComponent(_ component: String) -> Bool {
        guard let first = component.first, let last = component.last, !component.isEmpty,
            first.isLowercaseAlphanumeric, last.isLowercaseAlphanumeric
        else { return false }
        return component.allSatisfy { $0.isLowercaseAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }
    }

    private static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isASCIIWord else { return false }
        return tag.allSatisfy { $0.isASCIIWord || $0 == "." || $0 == "-" }
    }

    private static func isValidRegistry(_ host: String) -> Bool {
        !host.isEmpty && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }
    }
}

extension Character {
    var isLowercaseAlphanumeric: Bool { isASCII && (isNumber || (isLetter && isLowercase)) }
    var isASCIIWord: Bool { isASCII && (isLetter || isNumber || self == "_") }
}
