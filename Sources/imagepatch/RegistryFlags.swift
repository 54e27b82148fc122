import ArgumentParser
import Foundation
import ImagePatch
import Logging
import Registry

/// Flags for reaching registries, shared by the commands that read or write images.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: "HOST[:PORT] that may be reached over plain HTTP or with an unverified certificate (repeatable). Loopback registries may always use plain HTTP.")
    var insecureRegistries: [String] = []

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for registries, instead of the system store.")
    var caFile: String?

    @Option(name: .customLong("creds"), help: "USER[:PASSWORD] for every registry of the run (the password from stdin with --password-stdin).")
    var creds: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the --creds password from standard input.")
    var passwordStdin = false

    @Option(name: .customLong("authfile"), help: "A containers auth.json or Docker config.json to read credentials from.")
    var authFile: String?

    @Option(name: [.customLong("pull-token")], help: "A base64-encoded Docker config JSON (falconutil's --pull-token).")
    var pullToken: String?

    func makeTransport(logger: Logger) throws -> RegistryTransport {
        var options = RegistryTransport.Options()
        options.insecureRegistries = Set(insecureRegistries)
        options.caFile = caFile
        options.credentials = try CredentialStore.standard(creds: try credential(), authFile: authFile, pullToken: pullToken)
        return RegistryTransport(options: options, logger: logger)
    }

    private func credential() throws -> Credential? {
        guard let creds else {
            if passwordStdin { throw PatchError.invalidOption("--password-stdin", "needs --creds USER") }
            return nil
        }
        let parts = creds.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty else { throw PatchError.invalidOption("--creds", "needs a user name (USER[:PASSWORD])") }
        if passwordStdin {
            guard parts.count == 1 else { throw PatchError.invalidOption("--password-stdin", "cannot be used with a password in --creds") }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            return Credential(username: parts[0], secret: password)
        }
        return Credential(username: parts[0], secret: parts.count > 1 ? parts[1] : "")
    }
}
