import ArgumentParser
import Foundation
import IOFoundation
import ImagePatch
import Registry

/// `imagepatch login`, as skopeo and podman have it: the credentials are checked against the
/// registry first, and only then written to the containers auth file the other commands read.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a user name and password against a registry, then store them in the containers auth file.",
        discussion: """
            The file is --authfile, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json \
            (/run/containers/UID/auth.json without XDG_RUNTIME_DIR, as podman does), in the format skopeo and \
            podman read. It is replaced atomically, mode 0600, keeping its other entries; with wrong \
            credentials it is left as it was.
            """)

    @Argument(help: "The registry: HOST[:PORT] (docker.io for Docker Hub).")
    var registry: String

    @Option(name: [.customShort("u"), .customLong("username")], help: "The user name.")
    var username: String?

    @Option(
        name: [.customShort("p"), .customLong("password")],
        help: "The password. Other users of the machine can see it in the process list: prefer --password-stdin.")
    var password: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
    var passwordStdin = false

    @Option(
        name: .customLong("authfile"),
        help: "The auth file to write (default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json).")
    var authFile: String?

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for the registry, instead of the system store.")
    var caFile: String?

    @Flag(
        name: .customLong("insecure-registry"),
        help:
            "The registry may be reached over plain HTTP or with an unverified certificate. Loopback registries may always use plain HTTP.")
    var insecureRegistry = false

    @Flag(name: .shortAndLong, help: "Log every step.")
    var verbose = false

    func run() async throws {
        let logger = CommandSupport.makeLogger(verbose: verbose)
        try await CommandSupport.run {
            let key = try AuthFileEditor.registryKey(registry)
            guard let username, !username.isEmpty else { throw PatchError.invalidOption("--username (-u)", "is required") }
            guard !username.contains(":") else { throw PatchError.invalidOption("--username (-u)", "cannot hold a colon") }
            let secret: String
            switch (password, passwordStdin) {
            case (.some, true): throw PatchError.invalidOption("--password (-p)", "cannot be used with --password-stdin")
            case (nil, false): throw PatchError.invalidOption("login", "needs --password-stdin (or -p PASSWORD)")
            case (.some(let given), false):
                logger.warning("a password given with -p shows in the process list and the shell's history; use --password-stdin")
                secret = given
            case (nil, true):
                let data = try StandardInput.readAll(
                    limit: RegistryFlags.passwordStdinBytes, what: "the password on standard input (--password-stdin)")
                secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            guard !secret.isEmpty else { throw PatchError.invalidOption("login", "was given an empty password") }

            let path = try authFile ?? AuthFileEditor.defaultPath(environment: ProcessInfo.processInfo.environment)
            // A file that cannot be edited is refused before the registry is asked.
            _ = try AuthFileEditor(path: path)

            var options = RegistryTransport.Options()
            options.caFile = caFile
            if insecureRegistry { options.insecureRegistries = [key] }
            let credential = Credential(username: username, secret: secret)
            if try await RegistryLogin.check(registry: key, credential: credential, options: options, logger: logger) == .notAsked {
                logger.notice("\(key) asks no credentials at /v2/, so they were stored without being checked")
            }

            // Read again: the check took a while, and another tool may have written the file meanwhile.
            var file = try AuthFileEditor(path: path)
            file.store(credential, for: key)
            try file.save()
            if let helper = file.credentialHelper(for: key) {
                logger.warning("\(path) names the credential helper \(helper) for \(key); it is asked before the entry written here")
            }
            CommandSupport.printLine("Login Succeeded!")
        }
    }
}
