import Foundation
import Testing

/// `imagepatch login` and `logout` on the real registry (htpasswd Basic auth over TLS with a CA
/// made at test time, and Bearer tokens from the test token server). skopeo is the oracle: the
/// file login writes must be one skopeo reads. Passwords go in on standard input, except in the
/// one check of `-p`, and must never come out.
@Suite("Login and logout")
struct LoginTests {
    /// An auth file with what login must keep: another registry's entry, a credential helper,
    /// a field no tool knows yet, in an order that must survive.
    static let existing = """
        {
          "future": {"list": [1, 2.50, true]},
          "auths": {
            "other.example:5000": {"auth": "b3RoZXI6b3RoZXItcGFzcw=="},
            "docker.io": {"auth": "aHViOmh1Yi1wYXNz"}
          },
          "credHelpers": {"helped.example": "none-such"}
        }
        """

    static func json(_ path: String) throws -> [String: Any] {
        try Oracles.jsonObject(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func auths(_ path: String) throws -> [String: [String: Any]] {
        try #require(json(path)["auths"] as? [String: [String: Any]])
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// `imagepatch login REGISTRY -u tester --password-stdin ARGS…`, none of the caller's auth
    /// variables let through unless `environment` sets them.
    static func login(
        _ registry: String, password: String, _ arguments: [String], environment: [String: String?] = [:]
    ) async throws -> ProcessResult {
        var env: [String: String?] = ["REGISTRY_AUTH_FILE": nil, "XDG_RUNTIME_DIR": nil]
        for (key, value) in environment { env[key] = value }
        return try await ImagePatchCLI.run(
            ["login", registry, "-u", "tester", "--password-stdin"] + arguments, environment: env,
            stdin: Data("\(password)\n".utf8))
    }

    static func logout(_ arguments: [String], environment: [String: String?] = [:]) async throws -> ProcessResult {
        var env: [String: String?] = ["REGISTRY_AUTH_FILE": nil, "XDG_RUNTIME_DIR": nil]
        for (key, value) in environment { env[key] = value }
        return try await ImagePatchCLI.run(["logout"] + arguments, environment: env)
    }

    /// Only the file itself in its directory: no temporary file left behind by the atomic write.
    static func expectAlone(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names == [URL(fileURLWithPath: path).lastPathComponent], "\(names)", sourceLocation: sourceLocation)
    }

    @Test("Basic auth over TLS: checked first, written for skopeo, wrong passwords leave the file alone, logout")
    func basicOverTLS() async throws {
        try await RegistryAuthTests.withRegistry(.basicTLS) { registry in
            let password = try #require(registry.password)
            let caFile = try #require(registry.caFile)
            let skopeoTLS = ["--cert-dir", registry.directory + "/certs"]
            try await TempDirectory.with("login") { scratch in
                let file = scratch.appending("auth/auth.json")
                try FileManager.default.createDirectory(atPath: scratch.appending("auth"), withIntermediateDirectories: true)
                try Data(Self.existing.utf8).write(to: URL(fileURLWithPath: file))
                let before = try #require(Self.bytes(file))

                // Wrong password: one error line naming the registry, the file byte for byte as it was.
                let wrong = try await Self.login(registry.host, password: "not-the-password", ["--authfile", file, "--ca-file", caFile])
                Expect.oneLineError(wrong, mentions: [registry.host, "authentication failed"])
                RegistryAuthTests.expectNoSecrets(wrong, password: "not-the-password")
                #expect(Self.bytes(file) == before)
                try Self.expectAlone(file)

                // Without the CA, the certificate does not verify: refused, nothing written.
                let noCA = try await Self.login(registry.host, password: password, ["--authfile", file])
                Expect.oneLineError(noCA, mentions: [registry.host, "--insecure-registry"])
                #expect(Self.bytes(file) == before)

                // The right one, given as a URL as docker and podman accept it.
                let ok = try await Self.login(
                    "https://\(registry.host)/v2/", password: password, ["--authfile", file, "--ca-file", caFile])
                #expect(ok.succeeded, "\(ok)")
                #expect(ok.stdoutLines == ["Login Succeeded!"])
                RegistryAuthTests.expectNoSecrets(ok, password: password)
                #expect(try Self.mode(file) == 0o600)
                try Self.expectAlone(file)
                let written = try Self.json(file)
                #expect(Array(written.keys).sorted() == ["auths", "credHelpers", "future"])
                let auths = try Self.auths(file)
                #expect(auths[registry.host]?["auth"] as? String == Data("tester:\(password)".utf8).base64EncodedString())
                #expect(auths["other.example:5000"]?["auth"] as? String == "b3RoZXI6b3RoZXItcGFzcw==")
                #expect(auths["docker.io"]?["auth"] as? String == "aHViOmh1Yi1wYXNz")
                // Unknown fields come back as they were, order and number spelling included.
                let text = String(decoding: try #require(Self.bytes(file)), as: UTF8.self)
                #expect(text.contains("2.50"))
                let order = ["\"future\"", "\"auths\"", "\"credHelpers\""].map { text.range(of: $0)?.lowerBound }
                #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "\(text)")

                // skopeo reads it, and so does imagepatch.
                let skopeo = try await ProcessRunner.run(
                    "skopeo", ["inspect", "--authfile", file] + skopeoTLS + ["docker://\(registry.host)/team/app:1"])
                #expect(skopeo.succeeded, "\(skopeo)")
                let inspect = try await ImagePatchCLI.run([
                    "inspect", "\(registry.host)/team/app:1", "--authfile", file, "--ca-file", caFile,
                ])
                #expect(inspect.succeeded, "\(inspect)")

                // A wrong password once logged in still leaves the good entry alone.
                let afterLogin = try #require(Self.bytes(file))
                let wrongAgain = try await Self.login(registry.host, password: "still-wrong", ["--authfile", file, "--ca-file", caFile])
                Expect.oneLineError(wrongAgain, mentions: [registry.host])
                #expect(Self.bytes(file) == afterLogin)

                // logout: the entry goes, the rest stays, still 0600; a second logout is an error.
                let out = try await Self.logout([registry.host, "--authfile", file])
                #expect(out.succeeded, "\(out)")
                #expect(out.stdoutLines == ["Removed login credentials for \(registry.host)"])
                #expect(try Self.auths(file).keys.sorted() == ["docker.io", "other.example:5000"])
                #expect(try Self.json(file)["credHelpers"] as? [String: String] == ["helped.example": "none-such"])
                #expect(try Self.mode(file) == 0o600)
                try Self.expectAlone(file)
                let afterLogout = try #require(Self.bytes(file))
                let again = try await Self.logout([registry.host, "--authfile", file])
                Expect.oneLineError(again, mentions: ["not logged into \(registry.host)"])
                #expect(Self.bytes(file) == afterLogout)
                let skopeoOut = try await ProcessRunner.run(
                    "skopeo", ["inspect", "--authfile", file] + skopeoTLS + ["docker://\(registry.host)/team/app:1"])
                #expect(!skopeoOut.succeeded, "logged out, skopeo must be refused: \(skopeoOut)")

                // logout --all empties auths and keeps the other fields.
                let all = try await Self.logout(["--all", "--authfile", file])
                #expect(all.succeeded, "\(all)")
                #expect(try Self.auths(file).isEmpty)
                #expect(try Self.json(file)["future"] != nil)
            }
        }
    }

    @Test("-p works, with a warning and no password in the output; a new file gets 0700 parents; wrong password writes nothing")
    func passwordOption() async throws {
        try await RegistryAuthTests.withRegistry(.basicTLS) { registry in
            let password = try #require(registry.password)
            let caFile = try #require(registry.caFile)
            try await TempDirectory.with("login-p") { scratch in
                let file = scratch.appending("new/dir/auth.json")
                let wrong = try await ImagePatchCLI.run([
                    "login", registry.host, "-u", "tester", "-p", "wrong-pass", "--authfile", file, "--ca-file", caFile,
                ])
                Expect.oneLineError(wrong, mentions: [registry.host])
                RegistryAuthTests.expectNoSecrets(wrong, password: "wrong-pass")
                #expect(!FileManager.default.fileExists(atPath: file))

                let ok = try await ImagePatchCLI.run([
                    "login", registry.host, "--username", "tester", "-p", password, "--authfile", file, "--ca-file", caFile,
                ])
                #expect(ok.succeeded, "\(ok)")
                RegistryAuthTests.expectNoSecrets(ok, password: password)
                #expect(ok.stderrLines.count == 1 && ok.stderrLines[0].hasPrefix("imagepatch: warning:"), "\(ok)")
                #expect(ok.stderrText.contains("--password-stdin"))
                #expect(try Self.mode(file) == 0o600)
                #expect(try Self.mode(scratch.appending("new/dir")) == 0o700)
                #expect(try Self.mode(scratch.appending("new")) == 0o700)
                #expect(try Self.auths(file).keys.sorted() == [registry.host])
            }
        }
    }

    @Test("Token auth: the token server checks the password; skopeo reads the file")
    func tokenAuth() async throws {
        try await RegistryAuthTests.withRegistry(.token) { registry in
            let password = try #require(registry.password)
            try await TempDirectory.with("login-token") { scratch in
                let file = scratch.appending("auth.json")
                let wrong = try await Self.login(registry.host, password: "nope-\(UUID().uuidString)", ["--authfile", file])
                Expect.oneLineError(wrong, mentions: [registry.host, "token server"])
                #expect(!FileManager.default.fileExists(atPath: file))

                let ok = try await Self.login(registry.host, password: password, ["--authfile", file, "--verbose"])
                #expect(ok.succeeded, "\(ok)")
                RegistryAuthTests.expectNoSecrets(ok, password: password)
                let skopeo = try await ProcessRunner.run(
                    "skopeo", ["inspect", "--authfile", file, "--tls-verify=false", "docker://\(registry.host)/team/app:1"])
                #expect(skopeo.succeeded, "\(skopeo)")

                // The token server was asked with the credentials, and refused the wrong ones.
                let log = try String(contentsOfFile: registry.directory + "/token.log", encoding: .utf8)
                #expect(!log.contains(password))
                #expect(log.contains("\"status\": 401") || log.contains("\"status\":401"), "\(log)")
            }
        }
    }

    @Test("A registry that asks for no credentials: stored, with a notice that nothing was checked")
    func registryWithoutAuth() async throws {
        let registry = try await SharedRegistry.shared.plain()
        try await TempDirectory.with("login-plain") { scratch in
            let file = scratch.appending("auth.json")
            let run = try await Self.login(registry.host, password: "unused-pass", ["--authfile", file])
            #expect(run.succeeded, "\(run)")
            #expect(run.stderrLines.count == 1 && run.stderrText.contains("without being checked"), "\(run)")
            RegistryAuthTests.expectNoSecrets(run, password: "unused-pass")
            #expect(try Self.auths(file).keys.sorted() == [registry.host])
        }
    }

    @Test("The default file: --authfile, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json")
    func defaultFile() async throws {
        try await TempDirectory.with("login-paths") { scratch in
            let runtime = scratch.appending("runtime")
            let xdgFile = runtime + "/containers/auth.json"
            let envFile = scratch.appending("env-auth.json")
            let flagFile = scratch.appending("flag-auth.json")
            let entry = #"{"auths":{"registry.example:5000":{"auth":"dTpw"}}}"#
            try FileManager.default.createDirectory(atPath: runtime + "/containers", withIntermediateDirectories: true)
            for path in [xdgFile, envFile, flagFile] { try Data(entry.utf8).write(to: URL(fileURLWithPath: path)) }

            let viaFlag = try await Self.logout(
                ["registry.example:5000", "--authfile", flagFile],
                environment: ["REGISTRY_AUTH_FILE": envFile, "XDG_RUNTIME_DIR": runtime])
            #expect(viaFlag.succeeded, "\(viaFlag)")
            #expect(try Self.auths(flagFile).isEmpty && !(try Self.auths(envFile).isEmpty))
            let viaEnv = try await Self.logout(
                ["registry.example:5000"], environment: ["REGISTRY_AUTH_FILE": envFile, "XDG_RUNTIME_DIR": runtime])
            #expect(viaEnv.succeeded, "\(viaEnv)")
            #expect(try Self.auths(envFile).isEmpty && !(try Self.auths(xdgFile).isEmpty))
            let viaRuntime = try await Self.logout(["registry.example:5000"], environment: ["XDG_RUNTIME_DIR": runtime])
            #expect(viaRuntime.succeeded, "\(viaRuntime)")
            #expect(try Self.auths(xdgFile).isEmpty)

            // As podman: an XDG_RUNTIME_DIR that is not there is an error, not a directory made for it.
            let missing = try await Self.logout(["registry.example:5000"], environment: ["XDG_RUNTIME_DIR": scratch.appending("none")])
            Expect.oneLineError(missing, mentions: ["XDG_RUNTIME_DIR", "--authfile"])
            #expect(!FileManager.default.fileExists(atPath: scratch.appending("none")))
        }
    }

    @Test("Docker Hub's names are one key; logout removes every spelling imagepatch would read")
    func dockerHubNames() async throws {
        try await TempDirectory.with("login-hub") { scratch in
            let file = scratch.appending("auth.json")
            let config = """
                {"auths":{"docker.io":{"auth":"YTpi"},"https://index.docker.io/v1/":{"auth":"YzpkZA=="},"quay.io":{"auth":"ZTpm"}}}
                """
            try Data(config.utf8).write(to: URL(fileURLWithPath: file))
            let out = try await Self.logout(["registry-1.docker.io", "--authfile", file])
            #expect(out.succeeded, "\(out)")
            #expect(out.stdoutLines == ["Removed login credentials for docker.io"])
            #expect(try Self.auths(file).keys.sorted() == ["quay.io"])
            let again = try await Self.logout(["index.docker.io", "--authfile", file])
            Expect.oneLineError(again, mentions: ["not logged into docker.io"])
        }
    }

    @Test("Refused before the registry is asked: a malformed auth file, bad arguments; the file untouched")
    func refusals() async throws {
        try await TempDirectory.with("login-bad") { scratch in
            // Nothing listens on port 1: these must fail before any connection is tried.
            let registry = "127.0.0.1:1"
            for (name, content) in [("broken.json", "{\"auths\": {"), ("array.json", "[1]"), ("auths.json", #"{"auths":[]}"#)] {
                let file = scratch.appending(name)
                try Data(content.utf8).write(to: URL(fileURLWithPath: file))
                let login = try await Self.login(registry, password: "pw-\(name)", ["--authfile", file])
                Expect.oneLineError(login, mentions: [file])
                RegistryAuthTests.expectNoSecrets(login, password: "pw-\(name)")
                #expect(Self.bytes(file) == Data(content.utf8))
                let logout = try await Self.logout([registry, "--authfile", file])
                Expect.oneLineError(logout, mentions: [file])
                #expect(Self.bytes(file) == Data(content.utf8))
            }

            let file = scratch.appending("auth.json")
            let cases: [([String], String)] = [
                (["login", "team/app", "-u", "tester", "--password-stdin"], "not a registry"),
                (["login", "myregistry", "-u", "tester", "--password-stdin"], "not a registry"),
                (["login", registry, "--password-stdin"], "--username"),
                (["login", registry, "-u", "tester"], "--password-stdin"),
                (["login", registry, "-u", "tester", "-p", "x", "--password-stdin"], "--password-stdin"),
                (["logout"], "--all"),
                (["logout", registry, "--all"], "--all"),
            ]
            for (arguments, mention) in cases {
                let run = try await ImagePatchCLI.run(
                    arguments + ["--authfile", file], environment: ["REGISTRY_AUTH_FILE": nil, "XDG_RUNTIME_DIR": nil],
                    stdin: Data("pw\n".utf8))
                Expect.oneLineError(run, mentions: [mention])
                #expect(!FileManager.default.fileExists(atPath: file))
            }
            let empty = try await ImagePatchCLI.run(
                ["login", registry, "-u", "tester", "--password-stdin", "--authfile", file], stdin: Data("\n".utf8))
            Expect.oneLineError(empty, mentions: ["empty password"])
        }
    }
}
