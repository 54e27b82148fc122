import Foundation
import OCI
import Testing

@testable import HTTP
@testable import Registry

/// Tokens and header values with control characters, plain-HTTP token realms, and hostile numbers
/// in challenges, against a scripted registry.
@Suite("Registry: header and credential safety")
struct RegistryAuthSafetyTests {
    static let manifest = Array(#"{"schemaVersion":2}"#.utf8)

    /// A Bearer registry at `registry` whose challenge names `realm`; the realm answers `token`.
    static func bearerRegistry(
        _ registry: String, realm: String,
        token: @escaping (Int) -> ScriptedHTTP.Answer
    ) -> ScriptedHTTP {
        let scheme = DockerReference.isLoopbackHost(DockerReference.hostWithoutPort(registry)) ? "http" : "https"
        return ScriptedHTTP { request, earlier in
            if scheme == "http" { try ScriptedHTTP.refusingTLS(request) }
            if request.url.hasPrefix(realm) { return token(earlier) }
            let challenge = ("WWW-Authenticate", #"Bearer realm="\#(realm)",service="test",scope="repository:app:pull""#)
            if request.url == "\(scheme)://\(registry)/v2/" { return .init(status: 401, headers: [challenge]) }
            guard request.headers.contains(where: { $0.0 == "Authorization" && $0.1 == "Bearer good-token" }) else {
                return .init(status: 401, headers: [challenge])
            }
            return .init(headers: [("Content-Type", MediaType.ociManifest)], body: manifest)
        }
    }

    static func credentials(for registry: String) -> CredentialStore {
        CredentialStore(sources: [.explicit(Credential(username: "tester", secret: "s3cret"), registry: registry)])
    }

    @Test(
        "a token with CR LF is refused before it reaches any header",
        arguments: [
            "good\r\nX-Injected: yes", "good\nX-Injected: yes", "good\0", "good\u{1b}[31m", "good\u{7f}",
        ])
    func tokenWithControlCharacters(token: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["token": token])
        let http = Self.bearerRegistry("127.0.0.1:5000", realm: "http://127.0.0.1:5001/token") { _ in
            .init(headers: [("Content-Type", "application/json")], body: Array(body))
        }
        let source = try await scriptedTransport(http, credentials: Self.credentials(for: "127.0.0.1:5000")).source("127.0.0.1:5000/app:1")
        let error = await #expect(throws: RegistryError.self) { _ = try await source.rootManifest() }
        #expect("\(error!)".contains("control characters"))
        #expect(!"\(error!)".contains("X-Injected"))
        for request in http.requests {
            #expect(request.headers.allSatisfy { HTTPFieldSafety.isSafeValue($0.1) }, "a header went out with control characters")
        }
    }

    @Test(
        "the HTTP client refuses any header value or URL with control characters",
        arguments: [
            "a\r\nX-Injected: yes", "a\n", "a\r", "a\0b", "a\u{01}", "a\u{1f}", "a\u{7f}",
        ])
    func clientRefusesUnsafeFields(value: String) throws {
        let header = HTTPRequest(method: "GET", url: "http://127.0.0.1/v2/", headers: [("Authorization", "Bearer \(value)")])
        #expect(throws: HTTPError.self) { try CurlHTTPClient.checkFields(of: header) }
        let url = HTTPRequest(method: "GET", url: "http://127.0.0.1/v2/\(value)")
        #expect(throws: HTTPError.self) { try CurlHTTPClient.checkFields(of: url) }
        do { try CurlHTTPClient.checkFields(of: header) } catch { #expect(!"\(error)".contains("X-Injected")) }
        try CurlHTTPClient.checkFields(
            of: HTTPRequest(method: "GET", url: "http://127.0.0.1/v2/", headers: [("Accept", "a/b, c/d; q=0.5\u{e9}")]))
    }

    @Test("credentials never go to a plain-HTTP token realm on a remote host, even from a plain-HTTP loopback registry")
    func plainHTTPRemoteRealmRefused() async throws {
        let http = Self.bearerRegistry("127.0.0.1:5000", realm: "http://auth.example.com/token") { _ in
            ScriptedHTTP.json(#"{"token":"good-token"}"#)
        }
        let source = try await scriptedTransport(http, credentials: Self.credentials(for: "127.0.0.1:5000")).source("127.0.0.1:5000/app:1")
        let error = await #expect(throws: RegistryError.self) { _ = try await source.rootManifest() }
        #expect("\(error!)".contains("plain HTTP") && "\(error!)".contains("--insecure-registry"), "\(error!)")
        #expect(!http.requests.contains { $0.url.contains("auth.example.com") }, "credentials went to the remote realm")
    }

    @Test(
        "a plain-HTTP realm named with --insecure-registry, or on loopback, gets them",
        arguments: [
            ("http://auth.example.com/token", ["auth.example.com"]), ("http://auth.example.com:8080/token", ["auth.example.com:8080"]),
            ("http://127.0.0.1:5001/token", []),
        ])
    func plainHTTPRealmAllowed(realm: String, insecure: [String]) async throws {
        let http = Self.bearerRegistry("127.0.0.1:5000", realm: realm) { _ in ScriptedHTTP.json(#"{"token":"good-token"}"#) }
        let source = try await scriptedTransport(http, insecure: Set(insecure), credentials: Self.credentials(for: "127.0.0.1:5000"))
            .source("127.0.0.1:5000/app:1")
        #expect(try await source.rootManifest().bytes == Self.manifest)
    }

    /// This used to trap: `Int("١٢٧")!` after `isNumber` said yes.
    @Test(
        "a challenge whose realm host has non-ASCII digits is refused, not a crash",
        arguments: [
            "http://١٢٧.0.0.1/token", "http://127.0.0.½/token", "http://１２７.0.0.1/token", "http://127.0.0.¹/token",
        ])
    func nonASCIIDigitsInRealm(realm: String) async throws {
        let http = Self.bearerRegistry("reg.example", realm: realm) { _ in ScriptedHTTP.json(#"{"token":"good-token"}"#) }
        let source = try await scriptedTransport(http, credentials: Self.credentials(for: "reg.example")).source("reg.example/app:1")
        let error = await #expect(throws: RegistryError.self) { _ = try await source.rootManifest() }
        #expect("\(error!)".contains("plain HTTP"))
    }

    @Test("token requests are retried like any other")
    func tokenFetchRetried() async throws {
        let http = Self.bearerRegistry("127.0.0.1:5000", realm: "http://127.0.0.1:5001/token") { earlier in
            earlier == 0 ? .init(status: 503) : ScriptedHTTP.json(#"{"token":"good-token","expires_in":99999999999999999999999}"#)
        }
        let source = try await scriptedTransport(http, credentials: Self.credentials(for: "127.0.0.1:5000")).source("127.0.0.1:5000/app:1")
        #expect(try await source.rootManifest().bytes == Self.manifest)
        #expect(http.requests.filter { $0.url.hasPrefix("http://127.0.0.1:5001/token") }.count == 2)
    }

    @Test(
        "loopback hosts are parsed in ASCII digits only",
        arguments: [
            ("localhost", true), ("127.0.0.1", true), ("127.255.255.254", true), ("[::1]", true), ("LOCALHOST", true),
            ("127.0.0.256", false), ("127.0.0", false), ("1270.0.0.1", false), ("127.evil.example", false),
            ("١٢٧.0.0.1", false), ("127.0.0.½", false), ("１２７.0.0.1", false), ("+127.0.0.1", false), ("127.0.0.01", true),
        ])
    func loopbackParsing(host: String, expected: Bool) {
        #expect(DockerReference.isLoopbackHost(host) == expected)
    }

    @Test(
        "ASCII numbers: digits only, range-checked",
        arguments: [
            ("0", 0 as Int64?), ("42", 42), ("255", 255), ("256", nil), ("", nil), ("٤٢", nil), ("４２", nil), ("½", nil),
            ("-1", nil), ("+1", nil), ("1 ", nil), ("9999999999999999999", nil),
        ])
    func asciiNumbers(text: String, expected: Int64?) {
        #expect(ASCIINumber.parse(text, in: 0...255) == expected)
    }
}
