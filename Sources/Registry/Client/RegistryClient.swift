import Foundation
import HTTP
import Logging
import OCI

/// Talks to one registry: the scheme it speaks, authentication, retries. Everything the source
/// and destination transports send goes through `send`.
public final class RegistryClient: Sendable {
    public let registry: String
    let baseURL: String
    let verifyTLS: Bool
    let http: any HTTPClient
    let authenticator: Authenticator
    let retry: RetryPolicy
    let logger: Logger
    /// Shared by every client of this registry in the process: the bound on requests in flight
    /// and the pause after a 429.
    let gate: RegistryGate

    let retrier: Retrier

    init(
        registry: String, baseURL: String, verifyTLS: Bool, http: any HTTPClient, credential: Credential?,
        retry: RetryPolicy, insecureHosts: Set<String>, gate: RegistryGate, logger: Logger
    ) {
        self.registry = registry
        self.baseURL = baseURL
        self.verifyTLS = verifyTLS
        self.http = http
        self.retry = retry
        self.gate = gate
        self.logger = logger
        retrier = Retrier(policy: retry, registry: registry, gate: gate, logger: logger)
        authenticator = Authenticator(
            registry: registry, credential: credential, http: http, verifyTLS: verifyTLS,
            insecureHosts: insecureHosts,
            // A token server's 429 is about that server, not about the registry's gate.
            retrier: Retrier(policy: retry, registry: registry, gate: nil, logger: logger))
    }

    /// Finds how to reach the registry: verified HTTPS; for loopback or `--insecure-registry`
    /// hosts, plain HTTP when the port does not speak TLS; for insecure hosts, HTTPS without
    /// verification. Never a silent downgrade for any other host. Each scheme's API check is
    /// retried like any request; a failed TLS handshake moves on to the next scheme at once.
    static func connect(
        reference: DockerReference, insecureHosts: Set<String>, http: any HTTPClient, credential: Credential?,
        retry: RetryPolicy, gate: RegistryGate, logger: Logger
    ) async throws -> RegistryClient {
        let host = reference.apiHost
        let insecure = insecureHosts.contains(reference.registry)
        var schemes: [(String, Bool)] = [("https://\(host)", true)]
        if insecure { schemes.append(("https://\(host)", false)) }
        if insecure || reference.isLoopback { schemes.append(("http://\(host)", true)) }
        let retrier = Retrier(policy: retry, registry: reference.registry, gate: gate, logger: logger)
        let operation = "answer the API check GET /v2/"
        for (index, (base, verify)) in schemes.enumerated() {
            let hasFallback = index + 1 < schemes.count
            do {
                let response = try await retrier.run(
                    operation: operation, limits: .smallObject,
                    retries: { error in
                        if case .tlsHandshake = error { return !hasFallback }
                        return error.isRetryable
                    }
                ) {
                    try await retrier.exchange {
                        try await http.send(
                            HTTPRequest(method: "GET", url: "\(base)/v2/", verifyTLS: verify), bodyLimit: 64 << 10, sink: nil)
                    }
                }
                guard response.status == 200 || response.status == 401 else {
                    throw RegistryError.status(
                        registry: reference.registry, operation: operation,
                        status: response.status, codes: RegistryErrorCodes(body: response.body))
                }
                logger.debug("\(reference.registry): using \(base)\(verify ? "" : " without TLS verification")")
                return RegistryClient(
                    registry: reference.registry, baseURL: base, verifyTLS: verify, http: http,
                    credential: credential, retry: retry, insecureHosts: insecureHosts, gate: gate, logger: logger)
            } catch let error as RegistryError {
                guard case .transport(_, _, _, let cause) = error else { throw error }
                switch cause {
                case .tlsHandshake where hasFallback: continue  // a port that speaks plain HTTP
                case .tlsVerification where insecure && hasFallback: continue  // an unverified certificate may be waved through
                case .tlsVerification where !insecure: throw RegistryError.insecureNotAllowed(registry: reference.registry)
                default: throw error
                }
            }
        }
        // Only reached when the last scheme's handshake failed without anything to fall back to.
        throw RegistryError.insecureNotAllowed(registry: reference.registry)
    }

    struct Call {
        var operation: String
        var method: String
        /// A path under the API root ("/v2/…") or an absolute URL (a Location header).
        var target: String
        var headers: [(String, String)] = []
        var scopes: [String]
        var bodyLimit = 1 << 20
        var limits = TransferLimits.smallObject
        /// Made anew for every attempt, since a stream cannot be replayed.
        var body: () throws -> HTTPRequest.Body = { .none }
        /// Headers that depend on the attempt (a resumed download's Range).
        var attemptHeaders: () -> [(String, String)] = { [] }
        /// Where a 2xx body goes, chosen once its status and headers are known.
        var sink: HTTPBodySinkFactory?
        /// Whether to send Authorization: not to another host a registry redirected us to.
        var authorize = true
        /// False for a streaming upload: its body cannot be sent twice, so its caller retries the
        /// whole upload instead, and `send` hands back a retryable status as it is.
        var retryable = true
    }

    func url(_ target: String) -> String {
        target.hasPrefix("http://") || target.hasPrefix("https://") ? target : baseURL + target
    }

    /// Sends with authentication (one fresh try after a 401) and retries (connection errors,
    /// 408, 429, 5xx). Other statuses are returned for the caller to judge.
    func send(_ call: Call) async throws -> HTTPResponse {
        var reauthenticated = false
        var authorization = call.authorize ? authenticator.authorization(for: call.scopes) : nil
        let response = try await retrier.run(operation: call.operation, limits: call.limits, retryable: call.retryable) {
            while true {
                var request = HTTPRequest(
                    method: call.method, url: url(call.target), headers: call.headers + call.attemptHeaders(),
                    body: try call.body(), verifyTLS: verifyTLS, limits: call.limits)
                if let authorization { request.headers.append(("Authorization", authorization)) }
                // The slot is held for this exchange only: the token fetch below runs without one.
                let response = try await retrier.exchange { try await http.send(request, bodyLimit: call.bodyLimit, sink: call.sink) }
                guard response.status == 401 && call.authorize && !reauthenticated else { return response }
                reauthenticated = true
                authorization = try await authenticator.respond(
                    to: response.header("WWW-Authenticate"),
                    scopes: call.scopes, operation: call.operation)
                if !call.retryable { return response }  // the caller starts over, with the fresh token cached
            }
        }
        if response.status == 401 && (call.retryable || !call.authorize) {
            let detail =
                authenticator.hasCredential
                ? "the registry refused the credentials (HTTP 401)"
                : "no credentials were found for \(registry); pass --creds or --authfile, or log in with docker or skopeo"
            throw RegistryError.unauthorized(registry: registry, operation: call.operation, detail: detail)
        }
        return response
    }

    /// Runs an upload whose body streams from `origin`, with the slots of the upload and of the
    /// download feeding it taken together (see `RegistryGate.withStreamingSlots`): taken one by
    /// one, an upload could hold its slot waiting for bytes from a download that waits for a
    /// slot held by another download waiting for its own upload. `body` gets the origin to read:
    /// the same one, or, when both ends share a gate of one slot, one that downloads before the
    /// upload starts. An origin that is not a registry needs no second slot.
    func withUploadSlots<T>(from origin: BlobOrigin, _ body: (BlobOrigin) async throws -> T) async throws -> T {
        guard let source = (origin.source as? RegistrySource)?.client.gate else { return try await body(origin) }
        let streams = RegistryGate.canStream(upload: gate, download: source)
        let usable = streams ? origin : BlobOrigin(source: origin.source, open: origin.open, stream: origin.open)
        return try await RegistryGate.withStreamingSlots(upload: gate, download: source) { try await body(usable) }
    }

    func failure(_ call: Call, _ response: HTTPResponse) -> RegistryError {
        .status(
            registry: registry, operation: call.operation, status: response.status,
            codes: RegistryErrorCodes(body: response.body))
    }

    /// Whether an absolute URL has the registry's own scheme, host and port: only then may
    /// credentials go with a request to it.
    func isSameOrigin(_ location: String) -> Bool {
        Self.origin(of: location) == Self.origin(of: baseURL)
    }

    /// Sending data to plain HTTP when the registry itself speaks HTTPS would expose it (and, with a
    /// TLS-terminating proxy that rewrites Location to http://, the credentials too).
    func isDowngrade(_ location: String) -> Bool {
        baseURL.hasPrefix("https://") && location.hasPrefix("http://")
    }

    static func origin(of url: String) -> String {
        let scheme = url.hasPrefix("https://") ? "https" : (url.hasPrefix("http://") ? "http" : "")
        return "\(scheme)://\(CurlHTTPClient.host(of: url).lowercased())"
    }
}
