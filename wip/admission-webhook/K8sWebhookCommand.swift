import AdmissionWebhook
import ArgumentParser
import ImagePatch
import JSON
import Logging

/// `imagepatch k8s webhook`: the mutating admission webhook `k8s install` deploys. It rewrites each
/// Pod being created exactly as `k8s inject` would, and never blocks one: a fault of its own admits
/// the pod unchanged with a warning.
struct K8sWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Serve the mutating admission webhook that injects the agent into pods (HTTPS).",
        discussion: """
            POST /mutate takes an admission.k8s.io/v1 AdmissionReview for a Pod and answers allowed: true with a JSONPatch \
            that turns the pod into what `imagepatch k8s inject` writes. GET /healthz answers 200. TLS 1.2 or newer only; \
            the certificate and key files are read again when they change (cert-manager rotates them). Each review is \
            bounded by --review-timeout; when the injector fails or runs out of time the pod is admitted unchanged, with a \
            warning. Logs are JSON lines on stderr, one per review. SIGTERM stops accepting connections and finishes the \
            reviews in flight.
            """)

    @Option(help: "Where to listen: HOST:PORT, :PORT (all IPv4 addresses) or [IPv6]:PORT.")
    var listen: String = ":8443"

    @Option(name: .customLong("tls-cert"), help: "The serving certificate chain (PEM), e.g. a mounted Secret's tls.crt.")
    var tlsCert: String

    @Option(name: .customLong("tls-key"), help: "The serving certificate's private key (PEM, unencrypted), e.g. tls.key.")
    var tlsKey: String

    @Option(name: .customLong("review-timeout"), help: "The bound on one review, under the webhook's timeoutSeconds (5).")
    var reviewTimeout: String = "4s"

    @Option(name: .customLong("cert-check-interval"), help: "How often the certificate and key files are checked for a change.")
    var certCheckInterval: String = "5s"

    @Flag(name: .shortAndLong, help: "Debug logs.")
    var verbose = false

    // merge: the preset flags of `k8s inject` (--preset, --agent-image, --cid, …, registry flags) go here, as the
    // same @OptionGroup, and makeMutator() builds the PodInjector from them.

    func run() async throws {
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in JSONLinesLogHandler(label: label, logLevel: level) }
        let logger = Logger(label: "imagepatch.webhook")
        let (host, port) = try parseListen()
        var configuration = WebhookConfiguration(host: host, port: port, certificatePath: tlsCert, keyPath: tlsKey)
        configuration.reviewTimeout = try CommandLineNumbers.duration(reviewTimeout, option: "--review-timeout")
        configuration.certificateCheckInterval = try CommandLineNumbers.duration(certCheckInterval, option: "--cert-check-interval")
        let server: WebhookServer
        do {
            server = try WebhookServer(configuration: configuration, mutator: try makeMutator(logger: logger), logger: logger)
        } catch let error as CertificateReloader.LoadError {
            throw ValidationError(error.description)
        }
        // Not CommandSupport.run: its SIGTERM handler exits at once, and the server shuts down gracefully instead.
        try await server.run()
        logger.info("stopped")
    }

    private func parseListen() throws -> (String, Int) {
        do {
            return try WebhookConfiguration.parseListenAddress(listen)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// merge: `PodInjector(…)` from the preset flags, with its image lookups cached per digest
    /// (`BoundedTTLCache`), once the Kubernetes target is in; `extension PodInjector: PodMutating {}`.
    private func makeMutator(logger: Logger) throws -> any PodMutating {
        logger.warning("no injector configured: pods are admitted unchanged")
        return UnchangedPods()
    }
}

/// Admits every pod as it is: the stand-in until the webhook is given the injector.
private struct UnchangedPods: PodMutating {
    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue { pod }
}
