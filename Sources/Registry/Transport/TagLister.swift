import JSON
import OCI

/// Lists a repository's tags with `GET /v2/<name>/tags/list`, page after page: the registry's
/// `Link: <…>; rel="next"` header is followed (on the registry's own origin and path only, so
/// credentials never go elsewhere); a registry that honours `n` and `last` but sends no Link is
/// asked for the page after a full one. Every request goes through the client's retry loop with
/// the small-object limits; pages, tags and the pages' sizes are bounded.
extension RegistrySource {
    /// A repository with more tags than this is refused rather than listed without end.
    public static let maxListedTags = 100_000
    /// One page of the list: 100,000 tags of 128 characters fit in 16 MiB; a page is far smaller.
    static let maxTagPageBytes = 4 << 20

    /// The repository's tags in the order the registry lists them, each once. `pageSize` is sent
    /// as `n` (nil leaves the page size to the registry).
    public func listTags(pageSize: Int? = nil, maxTags: Int = RegistrySource.maxListedTags) async throws -> [String] {
        let base = "/v2/\(name.repository)/tags/list"
        let operation = "list the tags of \(name.repository)"
        var location = base + (pageSize.map { "?n=\($0)" } ?? "")
        var tags: [String] = []
        var seen = Set<String>()
        while true {
            let call = RegistryClient.Call(
                operation: operation, method: "GET", target: location, scopes: [pullScope],
                bodyLimit: Self.maxTagPageBytes)
            let response = try await client.send(call)
            if response.status == 404 {
                throw OCIError.notFound(
                    "repository \(name.registry)/\(name.repository) (\(client.registry) answered 404\(Self.codesSuffix(response.body)))")
            }
            guard response.status == 200 else { throw client.failure(call, response) }
            let page = try Self.pageTags(response.body, registry: client.registry, operation: operation)
            var added = 0
            for tag in page where seen.insert(tag).inserted {
                tags.append(tag)
                added += 1
                guard tags.count <= maxTags else {
                    throw RegistryError.badResponse(
                        registry: client.registry, operation: operation,
                        reason: "the repository has more than \(maxTags) tags")
                }
            }
            let current = client.url(location)
            if let next = try nextPage(response.header("Link"), current: current, base: base, operation: operation) {
                // A next page that brings nothing new would be followed forever.
                guard added > 0 else {
                    throw RegistryError.badResponse(
                        registry: client.registry, operation: operation,
                        reason: "its next page (Link header) repeats tags already listed")
                }
                location = next
            } else if let pageSize, page.count >= pageSize, added > 0, let last = page.last {
                location = "\(base)?n=\(pageSize)&last=\(last)"
            } else {
                return tags
            }
        }
    }

    /// The `tags` of one page: an array of valid tags, or null for a repository without any.
    static func pageTags(_ body: [UInt8], registry: String, operation: String) throws -> [String] {
        guard let value = try? JSONValue(parsing: body), let object = value.objectValue else {
            throw RegistryError.badResponse(registry: registry, operation: operation, reason: "the tag list is not a JSON object")
        }
        guard let list = object["tags"], !list.isNull else { return [] }
        guard let array = list.arrayValue else {
            throw RegistryError.badResponse(registry: registry, operation: operation, reason: "its tags field is not an array")
        }
        return try array.map { element in
            guard let tag = element.stringValue, isValidTag(tag) else {
                throw RegistryError.badResponse(
                    registry: registry, operation: operation,
                    reason: "the tag list holds something that is not a tag")
            }
            return tag
        }
    }

    /// The `rel="next"` target of a Link header, as a path on the registry's own origin, or nil.
    func nextPage(_ header: String?, current: String, base: String, operation: String) throws -> String? {
        guard let header, let target = Self.nextLink(header) else { return nil }
        let absolute = Self.resolve(target, against: current)
        guard client.isSameOrigin(absolute) else {
            throw RegistryError.badResponse(
                registry: client.registry, operation: operation,
                reason: "its next page (Link header) is on another host")
        }
        let origin = RegistryClient.origin(of: absolute)
        let path = absolute.dropFirst(origin.count)
        guard path == base || path.hasPrefix(base + "?") else {
            throw RegistryError.badResponse(
                registry: client.registry, operation: operation,
                reason: "its next page (Link header) is not a tag list of this repository")
        }
        return absolute
    }

    /// `<URL>; rel="next"` among the comma-separated links of a Link header (RFC 8288).
    static func nextLink(_ header: String) -> String? {
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let target = rest[rest.index(after: open)..<close]
            let afterTarget = rest[rest.index(after: close)...]
            let parametersEnd = afterTarget.firstIndex(of: "<") ?? afterTarget.endIndex
            let parameters = afterTarget[..<parametersEnd].split(separator: ";").map { $0.trimmingCharacters(in: " \t,") }
            let relations = parameters.compactMap { parameter -> String? in
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t\"") }
                return pair.count == 2 && pair[0].lowercased() == "rel" ? pair[1].lowercased() : nil
            }
            if relations.contains(where: { $0.split(separator: " ").contains("next") }) { return String(target) }
            rest = afterTarget[parametersEnd...]
        }
        return nil
    }

    static func isValidTag(_ tag: String) -> Bool {
        (try? DockerReference(parsing: "registry.invalid/tag-check:\(tag)"))?.tag == tag
    }

    private static func codesSuffix(_ body: [UInt8]) -> String {
        let codes = RegistryErrorCodes(body: body)
        return codes.isEmpty ? "" : " \(codes)"
    }
}
