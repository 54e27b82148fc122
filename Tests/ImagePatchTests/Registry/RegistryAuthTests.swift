import Foundation
import Testing

/// Basic auth over TLS with a CA made at test time, and Bearer tokens from a token server,
/// on the real registry. Credentials must never show up in anything imagepatch prints.
@Suite("Registry: TLS and authentication", .serialized)
struct RegistryAuthTests {
    /// Everything a leak could look like: the password, its base64 forms, a JWT, an Authorization header.
    static func expectNoSecrets(_ run: ProcessResult, password: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let output = run.stdoutText + run.stderrText
        let basic = Data("tester:\(password)".utf8).base64EncodedString()
        for secret in [password, basic, "eyJ", "Bearer ", "Authorization"] {
            #expect(!output.contains(secret), "output leaks \(secret.debugDescription):\n\(output)", sourceLocation: sourceLocation)
        }
    }

    static func withRegistry(_ mode: RegistryServer.Mode, _ body: (RegistryServer) async throws -> Void) async throws {
        let fixtures = try await Fixtures.ready()
        let registry = try await RegistryServer.start(mode, label: mode.rawValue)
        do {
            try await registry.push(layout: fixtures.oci("app-oci", "1"), as: "team/app:1")
            try await registry.push(layout: fixtures.oci("agent-oci", "7"), as: "vendor/agent:7")
            try await body(registry)
        } catch {
            await registry.stop()
            throw error
        }
        await registry.stop()
    }

    @Test("Basic auth over TLS with --ca-file and --creds; refused without the CA or with a wrong password")
    func basicOverTLS() async throws {
        try await Self.withRegistry(.basicTLS) { registry in
            let password = try #require(registry.password)
            let caFile = try #require(registry.caFile)
            let refs = (source: "\(registry.host)/team/app:1", agent: "\(registry.host)/vendor/agent:7")

            let ok = try await ImagePatchCLI.patch(
                source: refs.source, agent: refs.agent, target: "\(registry.host)/team/app:1-protected",
                extra: ["--ca-file", caFile, "--creds", "tester:\(password)", "--verbose"])
            #expect(ok.succeeded, "\(ok)")
            Self.expectNoSecrets(ok, password: password)
            #expect(try await registry.rawManifest("team/app:1-protected") != nil)

            // The password from stdin works the same.
            let stdin = try await ImagePatchCLI.run(
                ["inspect", refs.source, "--ca-file", caFile, "--creds", "tester", "--password-stdin"],
                stdin: Data("\(password)\n".utf8))
            #expect(stdin.succeeded, "\(stdin)")

            // A loopback registry may use plain HTTP, but a certificate that does not verify is not waved through.
            let noCA = try await ImagePatchCLI.run(["inspect", refs.source, "--creds", "tester:\(password)"])
            Expect.oneLineError(noCA, mentions: ["--insecure-registry", registry.host])
            Self.expectNoSecrets(noCA, password: password)
            let insecure = try await ImagePatchCLI.run([
                "inspect", refs.source, "--creds", "tester:\(password)",
                "--insecure-registry", registry.host,
            ])
            #expect(insecure.succeeded, "\(insecure)")

            let wrong = try await ImagePatchCLI.patch(
                source: refs.source, agent: refs.agent, target: "\(registry.host)/team/app:wrong",
                extra: ["--ca-file", caFile, "--creds", "tester:not-the-password"])
            Expect.oneLineError(wrong, mentions: ["authentication failed"])
            Self.expectNoSecrets(wrong, password: "not-the-password")
            #expect(try await registry.rawManifest("team/app:wrong") == nil)
        }
    }

    @Test("Bearer tokens: from --creds, an auth file, REGISTRY_AUTH_FILE and --pull-token; anonymous is refused")
    func bearerTokens() async throws {
        try await Self.withRegistry(.token) { registry in
            let password = try #require(registry.password)
            let source = "\(registry.host)/team/app:1"
            let agent = "\(registry.host)/vendor/agent:7"

            let anonymous = try await ImagePatchCLI.patch(source: source, agent: agent, target: "\(registry.host)/team/app:anon")
            Expect.oneLineError(anonymous, mentions: [registry.host])

            let viaCreds = try await ImagePatchCLI.patch(
                source: source, agent: agent, target: "\(registry.host)/team/app:creds",
                extra: ["--creds", "tester:\(password)", "--verbose"])
            #expect(viaCreds.succeeded, "\(viaCreds)")
            Self.expectNoSecrets(viaCreds, password: password)
            #expect(try await registry.rawManifest("team/app:creds") != nil)

            try await TempDirectory.with("auth") { scratch in
                let auth = Data("tester:\(password)".utf8).base64EncodedString()
                let config = #"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#
                let file = scratch.appending("auth.json")
                try Data(config.utf8).write(to: URL(fileURLWithPath: file))

                let viaFile = try await ImagePatchCLI.patch(
                    source: source, agent: agent, target: "\(registry.host)/team/app:file",
                    extra: ["--authfile", file])
                #expect(viaFile.succeeded, "\(viaFile)")
                let viaEnvironment = try await ImagePatchCLI.patch(
                    source: source, agent: agent, target: "\(registry.host)/team/app:env",
                    environment: ["REGISTRY_AUTH_FILE": file, "DOCKER_CONFIG": scratch.path])
                #expect(viaEnvironment.succeeded, "\(viaEnvironment)")
                let token = Data(config.utf8).base64EncodedString()
                let viaPullToken = try await ImagePatchCLI.patch(
                    source: source, agent: agent, target: "\(registry.host)/team/app:token",
                    extra: ["--pull-token", token, "-v"])
                #expect(viaPullToken.succeeded, "\(viaPullToken)")
                Self.expectNoSecrets(viaPullToken, password: password)
                #expect(!(viaPullToken.stdoutText + viaPullToken.stderrText).contains(token))
            }
            for tag in ["file", "env", "token"] { #expect(try await registry.rawManifest("team/app:\(tag)") != nil) }

            // The token server's log shows that pushes asked for pull,push and pulls for pull only.
            let log = try String(contentsOfFile: registry.directory + "/token.log", encoding: .utf8)
            #expect(log.contains("repository:team/app:pull,push"))
            #expect(log.contains("repository:vendor/agent:pull"))
            #expect(!log.contains(password))
        }
    }
}
