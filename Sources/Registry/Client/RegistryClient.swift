import OCI
import Foundation
import HTTP
import Logging

/// Talks to one registry: the scheme it speaks, authentication, retries. Everything the source
/// and destination transports send goes through `send`.
public final class RegistryClient: @unchecked Sendable {
    public let registry: String
    let baseURL: String
    let verifyTLS: Bool
    let http: any HTTPClient
    let authenticator: Authenticator
    let retry: RetryPolicy
    let logger: Logger

    init(registry: String, baseURL: String, verifyTLS: Bool, http: any HTTPClient, credential: Credential?,
         retry: RetryPolicy, logger: Logger) {
        self.registry = registry
        self.baseURL = baseURL
        self.verifyTLS = verifyTLS
        self.http = http
        self.retry = retry
        self.logger = logger
        authenticator = Authenticator(registry: registry, credential: credential, http: http, verifyTLS: verifyTLS,
                                      plainHTTPAllowed: baseURL.hasPrefix("http://"))
    }

    /// Finds how to reach the registry: verified HTTPS; for loopback or `--insecure-registry`
    /// hosts, plain HTTP when the port does not speak TLS; for insecure hosts, HTTPS without
    /// verification. Never a silent downgrade for any other host.
    static func connect(reference: DockerReference, insecure: Bool, http: any HTTPClient, credential: Credential?,
                        retry: RetryPolicy, logger: Logger) async throws -> RegistryClient {
        let host = reference.apiHost
        var attempts: [(String, Bool)] = [("https://\(host)", true)]
        if insecure { attempts.append(("https://\(host)", false)) }
        if insecure || reference.isLoopback { attempts.append(("http://\(host)", true)) }
        var lastError: Error?
        for (base, verify) in attempts {
            do {
                let response = try await http.send(HTTPRequest(method: "GET", url: "\(base)/v2/", verifyTLS: verify),
                                                   bodyLimit: 64 << 10, sink: nil)
                guard response.status == 200 || response.status == 401 else {
                    throw RegistryError.status(registry: reference.registry, operation: "answer the API check GET /v2/",
                                               status: response.status, codes: RegistryError.codes(from: response.body))
                }
                logger.debug("\(reference.registry): using \(base)\(verify ? "" : " without TLS verification")")
                return RegistryClient(registry: reference.registry, baseURL: base, verifyTLS: verify, http: http,
                                      credential: credential, retry: retry, logger: logger)
            } catch let error as HTTPError {
                lastError = error
                if case .transport(_, _, let retryable) = error, !retryable, !insecure {
                    break  // a certificate that does not verify is not a reason to try plain HTTP
                }
            }
        }
        if let error = lastError as? HTTPError, case .transport(_, _, false) = error {
            throw RegistryError.insecureNotAllowed(registry: reference.registry)
        }
        throw lastError ?? RegistryError.insecureNotAllowed(registry: reference.registry)
    }

    struct Call {
        var operation: String
        var method: String
        /// A path under the API root ("/v2/…") or an absolute URL (a Location header).
        var target: String
        var headers: [(String, String)] = []
        var scopes: [String]
        var bodyLimit = 1 << 20
        /// Made anew for every attempt, since a stream cannot be replayed.
        var body: () throws -> HTTPRequest.Body = { .none }
        /// Made anew for every attempt: where a 2xx body goes.
        var sink: (() throws -> ((UnsafeRawBufferPointer) throws -> Void))?
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
        var attempt = 0
        var authorization = call.authorize ? authenticator.authorization(for: call.scopes) : nil
        while true {
            var request = HTTPRequest(method: call.method, url: url(call.target), headers: call.headers,
                                      body: try call.body(), verifyTLS: verifyTLS)
            if let authorization { request.headers.append(("Authorization", authorization)) }
            let response: HTTPResponse
            do {
                response = try await http.send(request, bodyLimit: call.bodyLimit, sink: try call.sink?())
            } catch let error as HTTPError {
                guard case .transport(_, _, true) = error, call.retryable, attempt + 1 < retry.attempts else { throw error }
                let wait = retry.delay(after: attempt, retryAfter: nil)
                logger.info("\(registry): \(error); retrying \(call.operation) in \(String(format: "%.1f", wait)) s")
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            if response.status == 401 && call.authorize && !reauthenticated {
                reauthenticated = true
                authorization = try await authenticator.respond(to: response.header("WWW-Authenticate"),
                                                                scopes: call.scopes, operation: call.operation)
                if !call.retryable { return response }  // the caller starts over, with the fresh token cached
                continue
            }
            if RetryPolicy.isRetryable(status: response.status) && call.retryable && attempt + 1 < retry.attempts {
                let wait = retry.delay(after: attempt, retryAfter: response.header("Retry-After"))
                logger.info("\(registry): HTTP \(response.status) to \(call.operation); retrying in \(String(format: "%.1f", wait)) s")
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            if response.status == 401 {
                let detail = authenticator.hasCredential
                    ? "the registry refused the credentials (HTTP 401)"
                    : "no credentials were found for \(registry); pass --creds or --authfile, or log in with docker or skopeo"
                throw RegistryError.unauthorized(registry: registry, operation: call.operation, detail: detail)
            }
            return response
        }
    }

    func failure(_ call: Call, _ response: HTTPResponse) -> RegistryError {
        .status(registry: registry, operation: call.operation, status: response.status,
                codes: RegistryError.codes(from: response.body))
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
