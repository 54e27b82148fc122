/// Errors about image content and local formats. Each description is one sentence that names the
/// thing and the place, because it is the one line a CI log shows.
public enum OCIError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidDigest(String)
    case invalidPlatform(String)
    case malformed(String, String)
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    case sizeMismatch(what: String, expected: Int64, actual: Int64)
    case tooLarge(what: String, limit: Int64)
    case schema1(String)
    case unsupportedMediaType(String, String)
    case notFound(String)
    case tagNotFound(reference: String, tag: String, available: [String])
    case ambiguousTag(reference: String, available: [String])
    case unsafePath(what: String, path: String, reason: String)
    case invalidReference(String, String)
    case leavesLayout(what: String, path: String)
    case archiveTooLarge(what: String, limit: Int64)
    case io(String)

    public var description: String {
        switch self {
        case .invalidDigest(let text): "\(text.debugDescription) is not a valid digest (expected sha256:<64 hex> or sha512:<128 hex>)"
        case .invalidPlatform(let text): "\(text.debugDescription) is not a platform (expected os/arch[/variant], e.g. linux/arm64/v8)"
        case .malformed(let place, let reason): "\(place) is malformed: \(reason)"
        case .digestMismatch(let what, let expected, let actual):
            "\(what) does not match its digest: expected \(expected), got \(actual)"
        case .sizeMismatch(let what, let expected, let actual):
            "\(what) has \(actual) bytes but its descriptor says \(expected)"
        case .tooLarge(let what, let limit): "\(what) is larger than the \(limit)-byte limit"
        case .schema1(let place):
            "\(place) is a Docker schema 1 manifest, which is deprecated and not supported; convert it to schema 2 or OCI first (for example: skopeo copy --format v2s2)"
        case .unsupportedMediaType(let place, let type): "\(place) has unsupported media type \(type.debugDescription)"
        case .notFound(let what): "\(what) was not found"
        case .tagNotFound(let reference, let tag, let available):
            "tag \(tag.debugDescription) was not found in \(reference)"
                + (available.isEmpty ? "" : " (it has: \(available.joined(separator: ", ")))")
        case .ambiguousTag(let reference, let available):
            "\(reference) holds several images; name one with :TAG (it has: \(available.joined(separator: ", ")))"
        case .unsafePath(let what, let path, let reason): "\(what): refusing entry \(path.debugDescription): \(reason)"
        case .invalidReference(let text, let reason): "invalid image reference \(text.debugDescription): \(reason)"
        case .leavesLayout(let what, let path):
            "\(what): \(path) leads out of the layout through a symbolic link; refusing to read it (copy the layout with cp -rL to keep such blobs)"
        case .archiveTooLarge(let what, let limit):
            "\(what) would pass the \(limit)-byte limit on unpacked archive content (raise it with --max-archive-size)"
        case .io(let message): message
        }
    }
}
