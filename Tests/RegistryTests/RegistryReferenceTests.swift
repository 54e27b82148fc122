import HTTP
import OCI
import Testing

@testable import Registry

@Suite("Registry references")
struct DockerReferenceTests {
    @Test(
        "Docker's normalisation",
        arguments: [
            ("nginx", "docker.io/library/nginx:latest"),
            ("docker://nginx:1.25", "docker.io/library/nginx:1.25"),
            ("user/app", "docker.io/user/app:latest"),
            ("localhost:5000/app:1", "localhost:5000/app:1"),
            ("127.0.0.1:5000/a/b/c:v1.2-rc_3", "127.0.0.1:5000/a/b/c:v1.2-rc_3"),
            ("ghcr.io/org/app", "ghcr.io/org/app:latest"),
            ("index.docker.io/library/busybox:1", "docker.io/library/busybox:1"),
        ])
    func normalisation(text: String, expected: String) throws {
        #expect(try DockerReference(parsing: text).description == expected)
    }

    @Test func digestWinsOverTag() throws {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let reference = try DockerReference(parsing: "ghcr.io/org/app:1@\(digest)")
        #expect(reference.manifestReference == digest)
        #expect(reference.tag == "1")
        let byDigest = try DockerReference(parsing: "ghcr.io/org/app@\(digest)")
        #expect(byDigest.tag == nil)
    }

    @Test(
        "invalid references are refused",
        arguments: [
            "", "UPPER/case", "app:", "app:-bad", "app@sha256:123", "a//b", "app:" + String(repeating: "x", count: 129), "-app",
        ])
    func invalid(text: String) {
        #expect(throws: OCIError.self) { try DockerReference(parsing: text) }
    }

    @Test(
        "loopback registries",
        arguments: [
            ("localhost:5000/a", true), ("127.0.0.1:5000/a", true), ("127.9.9.9/a", true), ("[::1]:5000/a", true),
            ("10.0.0.1:5000/a", false), ("example.com/a", false), ("127.evil.example/a", false), ("127.0.0.1.nip.io/a", false),
        ])
    func loopback(text: String, expected: Bool) throws {
        #expect(try DockerReference(parsing: text).isLoopback == expected)
    }

    @Test(
        "WWW-Authenticate challenges",
        arguments: [
            (
                #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
                AuthChallenge(
                    scheme: .bearer,
                    parameters: [
                        "realm": "https://auth.example/token", "service": "registry.example",
                        "scope": "repository:a/b:pull,push",
                    ])
            ),
            (#"Basic realm="Registry Realm""#, AuthChallenge(scheme: .basic, parameters: ["realm": "Registry Realm"])),
            ("basic", AuthChallenge(scheme: .basic, parameters: [:])),
        ])
    func challenge(header: String, expected: AuthChallenge) {
        #expect(AuthChallenge.parse(header) == expected)
    }

    @Test(
        "user info never survives in messages",
        arguments: [
            (
                "Unsupported proxy scheme for 'foo://user:S3CRET@proxy.invalid:1'",
                "Unsupported proxy scheme for 'foo://***@proxy.invalid:1'"
            ),
            (
                "Could not resolve proxy: http://u:p@h:3128/x and https://a@b",
                "Could not resolve proxy: http://***@h:3128/x and https://***@b"
            ),
            ("Failed to connect to registry.example port 443", "Failed to connect to registry.example port 443"),
        ])
    func redaction(text: String, expected: String) {
        #expect(CurlHTTPClient.redactingUserInfo(text) == expected)
    }

    @Test func unknownChallengeScheme() {
        #expect(AuthChallenge.parse("Negotiate abc") == nil)
    }
}
