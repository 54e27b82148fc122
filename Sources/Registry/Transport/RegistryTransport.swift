import HTTP
import Logging
import OCI
import Synchronization

/// Opens `docker://` references (and bare ones). One client per registry for the run, so the
/// source and the target on the same registry share connections, tokens, and can mount; and one
/// gate per registry, so every worker of the process (every image of a `fleet run`) shares its
/// bound on requests in flight and its pause after a 429.
public final class RegistryTransport: Sendable {
    public struct Options: Sendable {
        public var insecureRegistries: Set<String> = []
        public var caFile: String?
        public var credentials = CredentialStore(sources: [])
        public var retry = RetryPolicy()
        /// Requests in flight to one registry at once (`--max-connections-per-registry`), in
        /// `RegistryGate.capacityRange`.
        public var maxConnectionsPerRegistry = RegistryGate.defaultCapacity
        public init() {}
    }

    private let options: Options
    private let http: any HTTPClient
    private let logger: Logger
    private let clients = Mutex<[String: RegistryClient]>([:])
    private let gates = Mutex<[String: RegistryGate]>([:])

    /// `logger` defaults to none at all (library and test use); the command line passes its own.
    public init(
        options: Options, logger: Logger = Logger(label: "imagepatch.registry", factory: { _ in SwiftLogNoOpLogHandler() }),
        http: (any HTTPClient)? = nil
    ) {
        precondition(
            RegistryGate.capacityRange.contains(options.maxConnectionsPerRegistry),
            "maxConnectionsPerRegistry must be in \(RegistryGate.capacityRange)")
        self.options = options
        self.logger = logger
        self.http = http ?? CurlHTTPClient(configuration: .init(caFile: options.caFile))
    }

    public func source(_ text: String) async throws -> RegistrySource {
        let name = try DockerReference(parsing: text)
        return RegistrySource(reference: text, name: name, client: try await client(for: name))
    }

    public func destination(_ text: String) async throws -> RegistryDestination {
        let name = try DockerReference(parsing: text)
        return RegistryDestination(reference: text, name: name, client: try await client(for: name))
    }

    private func client(for name: DockerReference) async throws -> RegistryClient {
        if let existing = clients.withLock({ $0[name.registry] }) { return existing }
        let credential = try options.credentials.credential(for: name.registry)
        let client = try await RegistryClient.connect(
            reference: name, insecureHosts: options.insecureRegistries,
            http: http, credential: credential, retry: options.retry,
            gate: gate(for: name.registry), logger: logger)
        return clients.withLock { clients in
            if let raced = clients[name.registry] { return raced }
            clients[name.registry] = client
            return client
        }
    }

    /// The gate of `registry`, made on first use; two workers connecting at once share it, so even
    /// their API checks count against the bound.
    public func gate(for registry: String) -> RegistryGate {
        gates.withLock { gates in
            if let existing = gates[registry] { return existing }
            let retry = options.retry
            let gate = RegistryGate(
                registry: registry, capacity: options.maxConnectionsPerRegistry,
                maximumPause: max(retry.maximumRetryAfter, retry.maximumDelay))
            gates[registry] = gate
            return gate
        }
    }
}
