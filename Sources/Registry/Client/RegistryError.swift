import HTTP

/// Errors from a registry, worded for the CI log: which registry, which operation, what it said.
/// Nothing here ever holds a credential, a token or an Authorization header.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    case status(registry: String, operation: String, status: Int, codes: RegistryErrorCodes)
    /// A retryable status (408, 429, 5xx) that lasted through every attempt the budget allowed.
    case retriesExhausted(registry: String, operation: String, attempts: Int, status: Int, codes: RegistryErrorCodes)
    /// No usable HTTP answer (connection, TLS, a body over its limit), after `attempts` attempts.
    case transport(registry: String, operation: String, attempts: Int, cause: HTTPError)
    case unauthorized(registry: String, operation: String, detail: String)
    case badResponse(registry: String, operation: String, reason: String)
    case insecureNotAllowed(registry: String)
    case credentials(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .status(let registry, let operation, let status, let codes):
            "\(registry) refused to \(operation): HTTP \(status)" + (codes.isEmpty ? "" : " \(codes)")
        case .retriesExhausted(let registry, let operation, let attempts, let status, let codes):
            "\(registry) refused to \(operation) in \(attempts) attempts: HTTP \(status)" + (codes.isEmpty ? "" : " \(codes)")
        case .transport(let registry, let operation, let attempts, let cause):
            "\(registry) did not \(operation)" + (attempts > 1 ? " in \(attempts) attempts" : "") + ": \(cause)"
        case .unauthorized(let registry, let operation, let detail):
            "\(registry) refused to \(operation): authentication failed (\(detail))"
        case .badResponse(let registry, let operation, let reason): "\(registry) gave a bad answer to \(operation): \(reason)"
        case .insecureNotAllowed(let registry):
            "\(registry) cannot be reached over verified HTTPS; name it with --insecure-registry \(registry) to allow plain HTTP or an unverified certificate"
        case .credentials(let message): message
        case .mismatch(let message): message
        }
    }

    /// Whether another try of the whole operation (a new upload, a new download) may pass.
    var isTransient: Bool {
        switch self {
        case .transport(_, _, _, let cause): cause.isRetryable
        case .retriesExhausted: true
        default: false
        }
    }

    /// The registry's own error codes, for a refusal that came with an error body; none otherwise.
    public var codes: [RegistryErrorCode] {
        switch self {
        case .status(_, _, _, let codes), .retriesExhausted(_, _, _, _, let codes): codes.codes
        default: []
        }
    }
}
