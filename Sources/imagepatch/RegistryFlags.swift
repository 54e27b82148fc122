import AllTransports
import ArgumentParser
import Foundation
import IOFoundation
import ImagePatch
import Logging
import OCI
import Registry

/// Flags for reaching registries, shared by the commands that read or write images.
struct RegistryFlags: ParsableArguments {
    @Option(
        name: .customLong("insecure-registry"),
        help:
            "HOST[:PORT] that may be reached over plain HTTP or with an unverified certificate (repeatable). Loopback registries may always use plain HTTP."
    )
    var insecureRegistries: [String] = []

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for registries, instead of the system store.")
    var caFile: String?

    @Option(
        name: .customLong("creds"),
        help:
            "USER[:PASSWORD] for the target's registry (or, with a local target, the source's); other registries use auth files, helpers or --pull-token. With --password-stdin, the password comes from stdin."
    )
    var creds: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the --creds password from standard input.")
    var passwordStdin = false

    @Option(name: .customLong("authfile"), help: "A containers auth.json or Docker config.json to read credentials from.")
    var authFile: String?

    @Option(name: [.customLong("pull-token")], help: "A base64-encoded Docker config JSON (falconutil's --pull-token).")
    var pullToken: String?

    @Option(
        name: .customLong("retry-times"),
        help:
            "How many times a failed registry request is retried (connection errors, 408, 429, 5xx), with jittered exponential backoff and Retry-After honoured; a request also stops retrying 2 minutes after its first attempt (30 minutes for a blob)."
    )
    var retryTimes: Int = RetryPolicy().retries

    @Option(
        name: .customLong("max-connections-per-registry"),
        help:
            "How many requests may be in flight to one registry at once, across every image and worker of this process (\(RegistryGate.capacityRange.lowerBound)-\(RegistryGate.capacityRange.upperBound)). When a registry answers 429, every request to it waits out the Retry-After (at most 30 s) or the backoff, not only the one that was told."
    )
    var maxConnectionsPerRegistry: Int = RegistryGate.defaultCapacity

    /// A password, a token: a few KiB at most. `/dev/zero` as stdin stops here.
    static let passwordStdinBytes = 64 << 10

    /// `credsFor`: the references whose first registry gets `--creds` (the target before the
    /// sources); every other registry gets only what auth files, helpers or the pull token give it.
    func makeTransport(logger: Logger, credsFor references: [String]) throws -> RegistryTransport {
        var options = RegistryTransport.Options()
        options.insecureRegistries = Set(insecureRegistries)
        options.caFile = caFile
        guard RetryPolicy.retriesRange.contains(retryTimes) else {
            throw PatchError.invalidOption(
                "--retry-times", "must be between \(RetryPolicy.retriesRange.lowerBound) and \(RetryPolicy.retriesRange.upperBound)")
        }
        options.retry.retries = retryTimes
        guard RegistryGate.capacityRange.contains(maxConnectionsPerRegistry) else {
            throw PatchError.invalidOption(
                "--max-connections-per-registry",
                "must be between \(RegistryGate.capacityRange.lowerBound) and \(RegistryGate.capacityRange.upperBound)")
        }
        options.maxConnectionsPerRegistry = maxConnectionsPerRegistry
        let credsRegistry = references.lazy.compactMap(TransportTable.registryHost(of:)).first
        let credential = try credential()
        if credential != nil && credsRegistry == nil {
            throw PatchError.invalidOption("--creds", "needs a registry reference to apply to")
        }
        options.credentials = try CredentialStore.standard(
            creds: credential, credsRegistry: credsRegistry,
            authFile: authFile, pullToken: pullToken)
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
            let data = try StandardInput.readAll(limit: Self.passwordStdinBytes, what: "the password on standard input (--password-stdin)")
            let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            return Credential(username: parts[0], secret: password)
        }
        return Credential(username: parts[0], secret: parts.count > 1 ? parts[1] : "")
    }
}
