import AdmissionWebhook
import ArgumentParser
import ImagePatch
import Kubernetes
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

    @Option(name: .customLong("image-cache-size"), help: "How many images' Entrypoint and Cmd are kept between reviews.")
    var imageCacheSize: Int = 1024

    @Option(
        name: .customLong("image-cache-ttl"),
        help: "How long an image's Entrypoint and Cmd are kept; a moved tag is seen after this long at most.")
    var imageCacheTTL: String = "5m"

    @OptionGroup var injection: PodInjectionFlags

    func run() async throws {
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in JSONLinesLogHandler(label: label, logLevel: level) }
        let logger = Logger(label: "imagepatch.webhook")
        // Not CommandSupport.run: its SIGTERM handler exits at once, and the server shuts down gracefully
        // instead. A bad flag or file, or a port it cannot bind, still ends in the one error line.
        do {
            let (host, port) = try parseListen()
            var configuration = WebhookConfiguration(host: host, port: port, certificatePath: tlsCert, keyPath: tlsKey)
            configuration.reviewTimeout = try CommandLineNumbers.duration(reviewTimeout, option: "--review-timeout")
            configuration.certificateCheckInterval = try CommandLineNumbers.duration(
                certCheckInterval, option: "--cert-check-interval")
            let server = try WebhookServer(configuration: configuration, mutator: try makeMutator(logger: logger), logger: logger)
            try await server.run()
        } catch {
            StderrOutput.write("imagepatch: error: ", String(describing: error))
            throw ExitCode(1)
        }
        logger.info("stopped")
    }

    private func parseListen() throws -> (String, Int) {
        // Its error names the flag and the value already.
        try WebhookConfiguration.parseListenAddress(listen)
    }

    /// The same injector as `k8s inject`'s, its image lookups kept between reviews.
    private func makeMutator(logger: Logger) throws -> any PodMutating {
        guard imageCacheSize > 0 else { throw ValidationError("--image-cache-size must be at least 1") }
        let timeToLive = try CommandLineNumbers.duration(imageCacheTTL, option: "--image-cache-ttl")
        return try injection.makeInjector(logger: logger) {
            CachedImageResolver($0, capacity: imageCacheSize, timeToLive: timeToLive)
        }
    }
}

extension PodInjector: PodMutating {}
