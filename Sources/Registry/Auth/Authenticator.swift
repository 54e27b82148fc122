import Foundation
import HTTP
import JSON
import OCI
import Synchronization

/// Answers a registry's 401 challenge and remembers the result for the run: Basic with the
/// credential, or a Bearer token fetched from the challenge's realm for the scopes needed
/// (`repository:NAME:pull` or `pull,push`), cached per scope set until shortly before it expires.
/// Tokens and credentials stay inside this type: they never reach logs or errors.
final class Authenticator: Sendable {
    private let registry: String
    private let credential: Credential?
    private let http: any HTTPClient
    private let verifyTLS: Bool
    /// A token realm over plain HTTP gets credentials only when its host is on this machine or
    /// named with --insecure-registry: a plain-HTTP registry does not vouch for another host.
    private let insecureHosts: Set<String>
    private let retrier: Retrier
    private struct State {
        var challenge: AuthChallenge?
        var tokens: [String: (token: String, expires: Date)] = [:]
    }
    private let state = Mutex(State())

    init(
        registry: String, credential: Credential?, http: any HTTPClient, verifyTLS: Bool, insecureHosts: Set<String>,
        retrier: Retrier
    ) {
        self.registry = registry
        self.credential = credential
        self.http = http
        self.verifyTLS = verifyTLS
        self.insecureHosts = insecureHosts
        self.retrier = retrier
    }

    var hasCredential: Bool { credential != nil }

    /// The Authorization header for a request needing `scopes`, if one is known already.
    func authorization(for scopes: [String]) -> String? {
        state.withLock { state in
            switch state.challenge?.scheme {
            case .basic?: return basicHeader()
            case .bearer?:
                guard let cached = state.tokens[key(scopes)], cached.expires > Date() else { return nil }
                return "Bearer \(cached.token)"
            case nil: return nil
            }
        }
    }

    /// Handles a 401: learns the challenge and obtains a fresh authorization for `scopes`.
    /// Returns nil when there is nothing new to try (the caller then reports the 401).
    func respond(to header: String?, scopes: [String], operation: String) async throws -> String? {
        guard let header, let parsed = AuthChallenge.parse(header) else {
            throw RegistryError.unauthorized(registry: registry, operation: operation, detail: "no usable WWW-Authenticate challenge")
        }
        state.withLock { state in
            state.challenge = parsed
            state.tokens[key(scopes)] = nil
        }
        switch parsed.scheme {
        case .basic:
            guard let header = basicHeader() else {
                throw RegistryError.unauthorized(
                    registry: registry, operation: operation,
                    detail: "the registry wants a user name and password; none were found for it")
            }
            return header
        case .bearer:
            let token = try await fetchToken(parsed, scopes: scopes, operation: operation)
            return "Bearer \(token)"
        }
    }

    private func basicHeader() -> String? {
        guard let credential, credential.kind == .password else { return nil }
        return "Basic " + Data("\(credential.username):\(credential.secret)".utf8).base64EncodedString()
    }

    private func key(_ scopes: [String]) -> String { scopes.sorted().joined(separator: " ") }

    private func fetchToken(_ challenge: AuthChallenge, scopes: [String], operation: String) async throws -> String {
        guard let realm = challenge.realm, realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw RegistryError.unauthorized(registry: registry, operation: operation, detail: "the Bearer challenge has no realm URL")
        }
        if realm.hasPrefix("http://"), credential != nil, !Self.mayReceiveCredentialsOverPlainHTTP(realm, insecureHosts: insecureHosts) {
            throw RegistryError.unauthorized(
                registry: registry, operation: operation,
                detail:
                    "its token service \(RegistryClient.origin(of: realm)) is plain HTTP; refusing to send credentials there (name its host with --insecure-registry to allow it)"
            )
        }
        var scopeList = scopes
        if scopeList.isEmpty, let scope = challenge.scope { scopeList = [scope] }
        let service = challenge.service
        var request: HTTPRequest
        if let credential, credential.kind == .identityToken {
            // OAuth2 refresh-token grant, as docker does with an identity token.
            var form = [
                "grant_type=refresh_token", "client_id=imagepatch",
                "refresh_token=\(Self.formEncode(credential.secret))",
            ]
            if let service { form.append("service=\(Self.formEncode(service))") }
            if !scopeList.isEmpty { form.append("scope=\(Self.formEncode(scopeList.joined(separator: " ")))") }
            request = HTTPRequest(
                method: "POST", url: realm,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: .bytes(Array(form.joined(separator: "&").utf8)), verifyTLS: verifyTLS)
        } else {
            var query: [String] = []
            if let service { query.append("service=\(Self.formEncode(service))") }
            query += scopeList.map { "scope=\(Self.formEncode($0))" }
            let separator = realm.contains("?") ? "&" : "?"
            request = HTTPRequest(
                method: "GET", url: realm + (query.isEmpty ? "" : separator + query.joined(separator: "&")),
                verifyTLS: verifyTLS)
            if let basic = basicHeader() { request.headers.append(("Authorization", basic)) }
        }
        let tokenRequest = request
        let response = try await retrier.run(
            operation: "answer a token request at \(RegistryClient.origin(of: realm))",
            limits: .smallObject
        ) {
            try await http.send(tokenRequest, bodyLimit: 1 << 20, sink: nil)
        }
        guard response.status == 200 else {
            let detail =
                response.status == 401 || response.status == 403
                ? "the token server rejected the credentials (HTTP \(response.status))"
                : "the token server answered HTTP \(response.status)"
            throw RegistryError.unauthorized(registry: registry, operation: operation, detail: detail)
        }
        guard let value = try? JSONValue(parsing: response.body),
            let token = value["token"]?.stringValue ?? value["access_token"]?.stringValue, !token.isEmpty
        else {
            throw RegistryError.unauthorized(registry: registry, operation: operation, detail: "the token server's answer has no token")
        }
        // It goes into an Authorization header: a CR LF in it would start a header of its own.
        guard HTTPFieldSafety.isSafeValue(token) else {
            throw RegistryError.unauthorized(
                registry: registry, operation: operation,
                detail: "the token server's token holds control characters; refusing to use it")
        }
        // Tokens default to 60 s (distribution spec); refresh a little early. A lifetime out of
        // range (negative, or beyond a day) is taken as the default.
        let lifetime = Double(value["expires_in"]?.int64Value.flatMap { (0...86_400).contains($0) ? $0 : nil } ?? 60)
        state.withLock { $0.tokens[key(scopes)] = (token, Date().addingTimeInterval(max(lifetime - 10, 5))) }
        return token
    }

    /// A plain-HTTP realm's host must be loopback or named with --insecure-registry (as HOST or HOST:PORT).
    static func mayReceiveCredentialsOverPlainHTTP(_ realm: String, insecureHosts: Set<String>) -> Bool {
        let authority = CurlHTTPClient.host(of: realm).lowercased()
        let host = DockerReference.hostWithoutPort(authority)
        return DockerReference.isLoopbackHost(host) || insecureHosts.contains { $0.lowercased() == authority || $0.lowercased() == host }
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
