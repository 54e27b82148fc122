import Foundation
import HTTP
import IOFoundation
import OCI
import Registry

/// A registry played by a script: `answer` sees each request and how many requests to the same
/// URL came before it. Bodies go where a real client sends them: a 2xx body with a sink through
/// it (cut short with a connection error when `breakAfter` says so), any other body collected
/// up to the body limit.
// @unchecked: `log` is used only under `lock`; `answer` is the test's own script, called from
// concurrent requests, so a script that keeps state of its own guards it itself.
public final class ScriptedHTTP: HTTPClient, @unchecked Sendable {
    public struct Answer {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Deliver this many body bytes, then fail as a dropped connection does.
        public var breakAfter: Int?

        public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], breakAfter: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.breakAfter = breakAfter
        }
    }

    private let lock = NSLock()
    private var log: [HTTPRequest] = []
    private let answer: (HTTPRequest, Int) throws -> Answer

    public init(_ answer: @escaping (HTTPRequest, Int) throws -> Answer) { self.answer = answer }

    public var requests: [HTTPRequest] { lock.withLock { log } }

    public func requests(to url: String) -> [HTTPRequest] { requests.filter { $0.url == url } }

    public func send(_ request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?) async throws -> HTTPResponse {
        let earlier = lock.withLock {
            defer { log.append(request) }
            return log.filter { $0.url == request.url }.count
        }
        let scripted = try answer(request, earlier)
        let body = scripted.breakAfter.map { Array(scripted.body.prefix($0)) } ?? scripted.body
        let broken = HTTPError.transport(host: "scripted", message: "Recv failure: Connection reset by peer", retryable: true)
        if let sink, (200..<300).contains(scripted.status), request.method != "HEAD" {
            let write = try sink(HTTPResponseHead(status: scripted.status, headers: scripted.headers))
            try body.withUnsafeBytes { try write($0) }
            if scripted.breakAfter != nil { throw broken }
            return HTTPResponse(status: scripted.status, headers: scripted.headers, body: [])
        }
        guard body.count <= bodyLimit else { throw HTTPError.bodyTooLarge(host: "scripted", limit: bodyLimit) }
        if scripted.breakAfter != nil { throw broken }
        return HTTPResponse(status: scripted.status, headers: scripted.headers, body: body)
    }

    public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Answer {
        Answer(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }

    /// A registry on loopback that speaks plain HTTP only: TLS handshakes fail, as on a real port.
    public static func refusingTLS(_ request: HTTPRequest) throws {
        if request.url.hasPrefix("https://") {
            throw HTTPError.tlsHandshake(host: "scripted", message: "SSL routines::wrong version number")
        }
    }
}

extension RetryPolicy {
    /// The real policy with waits short enough for unit tests. Its time budget is long: on a loaded
    /// machine a test's requests can be minutes apart, which must not read as a spent budget
    /// (tests of the budget set their own).
    public static var fast: RetryPolicy {
        var policy = RetryPolicy()
        policy.smallObjectDeadline = 3600
        policy.blobDeadline = 3600
        policy.baseDelay = 0.001
        policy.maximumDelay = 0.002
        policy.maximumRetryAfter = 0.01
        return policy
    }
}

public func scriptedTransport(
    _ http: ScriptedHTTP, retry: RetryPolicy = .fast, insecure: Set<String> = [],
    credentials: CredentialStore = CredentialStore(sources: [])
) -> RegistryTransport {
    var options = RegistryTransport.Options()
    options.retry = retry
    options.insecureRegistries = insecure
    options.credentials = credentials
    return RegistryTransport(options: options, http: http)
}

/// Reads a whole blob stream on a thread of its own. A streamed blob arrives through a `BytePipe`,
/// whose reader blocks; blocking one of the few threads Swift concurrency runs tasks on could
/// starve the download that feeds it (uploads read it on curl's threads, never on those).
public func readOffThePool(_ reader: ByteReader) async throws -> [UInt8] {
    // The caller hands the reader over: only the thread below uses it from here on.
    nonisolated(unsafe) let reader = reader
    return try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try reader.readAll(limit: 1 << 20, what: "blob") }) }.start()
    }
}
