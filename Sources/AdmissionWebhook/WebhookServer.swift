import Hummingbird
import HummingbirdTLS
import JSON
import Logging
import NIOCore

/// Where and how the webhook serves.
public struct WebhookConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    public var certificatePath: String
    public var keyPath: String
    /// Each review's bound, under the API server's 5 s webhook timeout.
    public var reviewTimeout: Duration = .seconds(4)
    /// How often the certificate and key files are checked for a change.
    public var certificateCheckInterval: Duration = .seconds(5)
    /// The API server's own request limit is 3 MiB.
    public var maxBodySize: Int = 3 * 1024 * 1024

    public init(host: String, port: Int, certificatePath: String, keyPath: String) {
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// `HOST:PORT`, `:PORT` (every IPv4 address) or `[IPv6]:PORT`.
    public static func parseListenAddress(_ text: String) throws(ListenAddressError) -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(address: text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ListenAddressError(address: text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw ListenAddressError(address: text) }
        }
        guard let port = Int(portText), (0...65535).contains(port), !portText.hasPrefix("+") else {
            throw ListenAddressError(address: text)
        }
        return (host.isEmpty ? "0.0.0.0" : String(host), port)
    }
}

public struct ListenAddressError: Error, CustomStringConvertible {
    public let address: String
    public var description: String { "--listen \(address): expected HOST:PORT, :PORT or [IPv6]:PORT" }
}

/// The HTTPS server: `POST /mutate` (AdmissionReview v1) and `GET /healthz`, TLS 1.2+ only, with the
/// certificate reloaded from its files.
public struct WebhookServer: Sendable {
    public let configuration: WebhookConfiguration
    public let reviewer: AdmissionReviewer
    public let certificates: CertificateReloader
    private let logger: Logger

    /// Loads the certificate and key now, so a bad pair fails before the server starts.
    public init(configuration: WebhookConfiguration, mutator: any PodMutating, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        reviewer = AdmissionReviewer(mutator: mutator, timeout: configuration.reviewTimeout, logger: logger)
        certificates = try CertificateReloader(
            certificatePath: configuration.certificatePath, keyPath: configuration.keyPath,
            checkInterval: configuration.certificateCheckInterval, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight and returns.
    public func run() async throws {
        try await makeApplication(onListening: { port in
            logger.info("listening", metadata: ["address": "\(configuration.host)", "port": "\(port)"])
        }).runService()
    }

    /// Serves until the calling task is cancelled; `onListening` gets the bound port (tests).
    public func run(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        try await makeApplication(onListening: onListening).run()
    }

    private func makeApplication(onListening: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let router = Router()
        let reviewer = reviewer
        let maxBodySize = configuration.maxBodySize
        router.get("/healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.post("/mutate") { request, _ -> Response in
            // Larger bodies get 413 from Hummingbird.
            let body = try await request.body.collect(upTo: maxBodySize)
            switch await reviewer.review(body.readableBytesView) {
            case .answer(let review, _):
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: review.serialized())))
            case .malformed(let message):
                return Response(
                    status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "imagepatch: not an AdmissionReview: \(message)\n")))
            }
        }
        return Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: certificates.tlsConfiguration()),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "imagepatch-webhook"),
            services: [certificates],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
