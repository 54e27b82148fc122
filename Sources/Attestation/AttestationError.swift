/// Errors about documents read from a registry (a `.sig` manifest, a referrers index) or given to the
/// builders. Each description is one sentence naming the document.
public enum AttestationError: Error, CustomStringConvertible, Equatable, Sendable {
    case malformed(place: String, reason: String)
    case tooLarge(place: String, limit: Int)
    case tooManyEntries(place: String, limit: Int)

    public var description: String {
        switch self {
        case .malformed(let place, let reason): "\(place) is malformed: \(reason)"
        case .tooLarge(let place, let limit): "\(place) is larger than the \(limit)-byte limit"
        case .tooManyEntries(let place, let limit): "\(place) would hold more than \(limit) entries"
        }
    }
}
