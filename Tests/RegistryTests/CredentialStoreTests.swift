import Foundation
import Testing

@testable import Registry

/// Serialized: the helper tests run programs they have just written, one at a time.
@Suite("Credential lookup", .serialized)
final class CredentialStoreTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("imagepatch-creds-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let url = directory.appendingPathComponent(name)
        // Close-on-exec, so a process another test spawns meanwhile cannot keep the file open for
        // writing, which would make running it fail with ETXTBSY.
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        return url.path
    }

    static func basic(_ user: String, _ password: String) -> String { Data("\(user):\(password)".utf8).base64EncodedString() }

    @Test func explicitCredentialsWinOverFiles() throws {
        let file = try write("auth.json", #"{"auths":{"r.example":{"auth":"\#(Self.basic("file", "x"))"}}}"#)
        let store = try CredentialStore.standard(
            creds: Credential(username: "flag", secret: "y"), credsRegistry: "r.example",
            authFile: file, pullToken: nil, environment: [:])
        #expect(try store.credential(for: "r.example")?.username == "flag")
    }

    /// --creds is for the one registry it was given for; a task definition or a source naming another
    /// registry must not receive it.
    @Test func explicitCredentialsStayWithTheirRegistry() throws {
        let store = try CredentialStore.standard(
            creds: Credential(username: "flag", secret: "y"), credsRegistry: "r.example",
            authFile: nil, pullToken: nil, environment: [:])
        #expect(try store.credential(for: "evil.example") == nil)
        #expect(try store.credential(for: "docker.io") == nil)
    }

    @Test func orderOfFilesFromTheEnvironment() throws {
        let registryAuth = try write("registry-auth.json", #"{"auths":{"r.example":{"auth":"\#(Self.basic("first", "1"))"}}}"#)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("docker"), withIntermediateDirectories: true)
        _ = try write(
            "docker/config.json",
            #"{"auths":{"r.example":{"auth":"\#(Self.basic("second", "2"))"},"other.example":{"auth":"\#(Self.basic("docker", "3"))"}}}"#)
        let environment = ["REGISTRY_AUTH_FILE": registryAuth, "DOCKER_CONFIG": directory.appendingPathComponent("docker").path]
        let store = try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: nil, pullToken: nil, environment: environment)
        let first = try #require(try store.credential(for: "r.example"))
        #expect(first.username == "first" && first.secret == "1")
        #expect(try store.credential(for: "other.example")?.username == "docker")
        #expect(try store.credential(for: "nobody.example") == nil)
    }

    @Test func dockerHubSpellings() throws {
        let file = try write("hub.json", #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(Self.basic("hub", "pw"))"}}}"#)
        let store = try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: file, pullToken: nil, environment: [:])
        #expect(try store.credential(for: "docker.io")?.username == "hub")
    }

    @Test func identityToken() throws {
        let file = try write("id.json", #"{"auths":{"r.example":{"identitytoken":"refresh-me"}}}"#)
        let credential = try #require(
            try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: file, pullToken: nil, environment: [:])
                .credential(for: "r.example"))
        #expect(credential.kind == .identityToken)
        #expect(credential.secret == "refresh-me")
    }

    @Test func pullTokenIsABase64DockerConfig() throws {
        let config = #"{"auths":{"123.dkr.ecr.us-east-1.amazonaws.com":{"auth":"\#(Self.basic("AWS", "ecr-password"))"}}}"#
        let token = Data(config.utf8).base64EncodedString()
        let store = try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: nil, pullToken: token, environment: [:])
        let credential = try #require(try store.credential(for: "123.dkr.ecr.us-east-1.amazonaws.com"))
        #expect(credential.username == "AWS" && credential.secret == "ecr-password")
        #expect(throws: RegistryError.self) {
            try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: nil, pullToken: "not base64 json", environment: [:])
        }
    }

    /// A real program speaking the docker-credential-helpers protocol, found on PATH.
    @Test func credentialHelpersAreRun() throws {
        let helper = try write(
            "docker-credential-imagepatchtest",
            """
            #!/bin/sh
            [ "$1" = get ] || exit 1
            read server
            if [ "$server" = "helper.example" ]; then
              printf '{"ServerURL":"%s","Username":"from-helper","Secret":"helper-secret"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """, executable: true)
        let file = try write("helpers.json", #"{"credHelpers":{"helper.example":"imagepatchtest"},"credsStore":"imagepatchtest"}"#)
        let store = try CredentialStore.standard(
            creds: nil, credsRegistry: nil, authFile: file, pullToken: nil,
            environment: Self.searching((helper as NSString).deletingLastPathComponent))
        let credential = try #require(try store.credential(for: "helper.example"))
        #expect(credential.username == "from-helper" && credential.secret == "helper-secret")
        #expect(try store.credential(for: "unknown.example") == nil)
    }

    /// An environment whose PATH starts with `directory`. Helpers are found through the store's
    /// own search path: tests never change this process's environment, which other tests' child
    /// processes read at the same moment (setenv while another thread spawns is a crash).
    static func searching(_ directory: String) -> [String: String] {
        ["PATH": "\(directory):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]
    }

    /// Writes `docker-credential-NAME` and hands `body` the environment to find it with.
    func withHelper(_ name: String, _ script: String, _ body: ([String: String]) throws -> Void) throws {
        let helper = try write("docker-credential-\(name)", script, executable: true)
        try body(Self.searching((helper as NSString).deletingLastPathComponent))
    }

    /// Anything in a credential ends up in a header or a token request: control characters there
    /// are refused with one error naming where the credential came from, never showing it.
    @Test(
        "credentials with control characters are refused, wherever they come from",
        arguments: [
            "a\r\nX-Injected: yes", "a\n", "a\0", "a\u{7f}", "a\u{1b}[2J",
        ])
    func controlCharactersRefused(secret: String) throws {
        let escaped = String(data: try JSONSerialization.data(withJSONObject: [secret]), encoding: .utf8)!.dropFirst().dropLast()
        let identity = try write("identity.json", #"{"auths":{"r.example":{"identitytoken":\#(escaped)}}}"#)
        let basic = try write("basic.json", #"{"auths":{"r.example":{"auth":"\#(Self.basic("user", secret))"}}}"#)
        let explicit = CredentialStore(sources: [.explicit(Credential(username: "user", secret: secret), registry: "r.example")])
        for (store, origin) in [
            (try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: identity, pullToken: nil, environment: [:]), identity),
            (try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: basic, pullToken: nil, environment: [:]), basic),
            (explicit, "--creds"),
        ] {
            let error = #expect(throws: RegistryError.self) { try store.credential(for: "r.example") }
            let text = "\(error!)"
            #expect(text.contains(origin) && text.contains("control characters") && !text.contains("X-Injected"), "\(text)")
        }
        let file = try write("helper.json", #"{"credHelpers":{"r.example":"ctltest"}}"#)
        try withHelper(
            "ctltest",
            """
            #!/bin/sh
            printf '{"Username":"u","Secret":%s}' '\(escaped)'
            """
        ) { environment in
            let store = try CredentialStore.standard(
                creds: nil, credsRegistry: nil, authFile: file, pullToken: nil, environment: environment)
            let error = #expect(throws: RegistryError.self) { try store.credential(for: "r.example") }
            #expect("\(error!)".contains("docker-credential-ctltest") && "\(error!)".contains("control characters"))
        }
    }

    @Test("a credential helper that answers without end is cut off at the limit")
    func helperOutputBounded() throws {
        let file = try write("flood.json", #"{"credHelpers":{"r.example":"floodtest"}}"#)
        try withHelper("floodtest", "#!/bin/sh\nexec cat /dev/zero\n") { environment in
            let store = try CredentialStore.standard(
                creds: nil, credsRegistry: nil, authFile: file, pullToken: nil, environment: environment)
            let error = #expect(throws: RegistryError.self) { try store.credential(for: "r.example") }
            #expect(
                "\(error!)".contains("docker-credential-floodtest") && "\(error!)".contains("\(CredentialHelper.answerBytes)"), "\(error!)")
        }
    }

    @Test("a credential helper that never answers is stopped at its deadline")
    func helperTimeBounded() throws {
        let helper = try write("docker-credential-sleeptest", "#!/bin/sh\nexec sleep 600\n", executable: true)
        let started = ContinuousClock.now
        let error = #expect(throws: RegistryError.self) {
            try CredentialHelper.run(helper, input: Array("r.example".utf8), registry: "r.example", timeout: .seconds(1))
        }
        #expect("\(error!)".contains("docker-credential-sleeptest") && "\(error!)".contains("did not come within"), "\(error!)")
        // Generous: only "it came back, rather than waiting out the helper's 600 s".
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test("a credential helper missing from PATH is named in the error")
    func helperMissing() throws {
        let file = try write("missing.json", #"{"credHelpers":{"r.example":"nosuchhelper"}}"#)
        let store = try CredentialStore.standard(
            creds: nil, credsRegistry: nil, authFile: file, pullToken: nil,
            environment: ["PATH": "/nonexistent"])
        let error = #expect(throws: RegistryError.self) { try store.credential(for: "r.example") }
        #expect("\(error!)".contains("docker-credential-nosuchhelper") && "\(error!)".contains("not on PATH"), "\(error!)")
    }

    /// (An auth file may be a pipe the user made, `--authfile <(…)`: what is read from it is bounded.)
    @Test("an auth file far too large is refused, not read whole")
    func authFileBounded() throws {
        let big = try write("big.json", "{}")
        #expect(truncate(big, off_t(CredentialStore.authFileBytes + 1)) == 0)
        for path in [big] {
            let store = try CredentialStore.standard(creds: nil, credsRegistry: nil, authFile: path, pullToken: nil, environment: [:])
            let error = #expect(throws: RegistryError.self) { try store.credential(for: "r.example") }
            #expect("\(error!)".contains(path), "\(error!)")
        }
    }

    @Test func descriptionsNeverShowSecrets() throws {
        let credential = Credential(username: "user", secret: "hunter2-secret")
        #expect(!"\(credential)".contains("hunter2"))
        #expect(!String(reflecting: credential).contains("hunter2"))
        var dumped = ""
        dump(credential, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(!String(reflecting: RegistryError.unauthorized(registry: "r", operation: "x", detail: "d")).contains("hunter2"))
    }
}
