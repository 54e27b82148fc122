import HTTP
import Logging
import OCI

/// `login`'s check: the credential is tried on the registry's API root (`GET /v2/`) the way every
/// other request is authenticated (`RegistryClient` and its `Authenticator`): Basic when the
/// registry's challenge asks for it, or a Bearer token from the challenge's realm, fetched with
/// the credential (no repository scope), then `GET /v2/` again with the token. A refusal at either
/// step is `RegistryError.unauthorized`, which never holds the credential.
public enum RegistryLogin {
    public enum Outcome: Sendable, Equatable {
        /// The registry asked for credentials and accepted these.
        case accepted
        /// The registry answered `GET /v2/` without asking for any, so there was nothing to check.
        case notAsked
    }

    /// `registry` is an auth-file key (`AuthFileEditor.registryKey`): a host, with its port if any.
    public static func check(
        registry: String, credential: Credential, options: RegistryTransport.Options,
        logger: Logger = Logger(label: "imagepatch.registry", factory: { _ in SwiftLogNoOpLogHandler() }),
        http: (any HTTPClient)? = nil
    ) async throws -> Outcome {
        let credential = try credential.checked(for: registry, from: "the command line")
        let reference = DockerReference(registry: registry, repository: "", tag: nil, digest: nil)
        let client = try await RegistryClient.connect(
            reference: reference, insecureHosts: options.insecureRegistries,
            http: http ?? CurlHTTPClient(configuration: .init(caFile: options.caFile)), credential: credential,
            retry: options.retry, gate: RegistryGate(registry: registry), logger: logger)
        let call = RegistryClient.Call(operation: "accept the login (GET /v2/)", method: "GET", target: "/v2/", scopes: [])
        let response = try await client.send(call)
        guard response.status == 200 else { throw client.failure(call, response) }
        // An authorization is known only once a challenge was answered: none means none was asked for.
        return client.authenticator.authorization(for: []) == nil ? .notAsked : .accepted
    }
}
