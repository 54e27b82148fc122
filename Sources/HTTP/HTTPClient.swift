/// An HTTP exchange as the registry client needs it: streaming request bodies, streaming
/// response bodies for successful responses, small bounded bodies otherwise.
/// The registry code talks to this protocol only; `CurlHTTPClient` implements it with libcurl.
public protocol HTTPClient: Sendable {
    /// Sends `request`. For a 2xx response, `sink` (when given) is called once with the response's
    /// status and headers, before its first body byte, and returns where the body goes; any other
    /// body is collected into `HTTPResponse.body`, up to `bodyLimit` bytes (more is an error).
    func send(_ request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?) async throws -> HTTPResponse
}

/// Where a body goes, chunk by chunk.
public typealias HTTPBodySink = (UnsafeRawBufferPointer) throws -> Void
/// Chooses a body's destination once the response's head is known (a resumed download appends on
/// 206 and starts over on 200).
public typealias HTTPBodySinkFactory = (HTTPResponseHead) throws -> HTTPBodySink

/// Sendable unchecked, for the `.stream` body: its read closure pulls from a reader that is not
/// Sendable (a file, or the bounded pipe). A request is handed whole to the one thread that performs
/// the transfer, and the closure is called only there, one chunk at a time, never concurrently.
public struct HTTPRequest: @unchecked Sendable {
    public enum Body {
        case none
        case bytes([UInt8])
        /// Pulled chunk by chunk while sending; `length` sets Content-Length when known.
        case stream(length: Int64?, read: (UnsafeMutableRawBufferPointer) throws -> Int)
    }

    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Body
    /// Off only for registries the user named with --insecure-registry.
    public var verifyTLS: Bool
    public var limits: TransferLimits

    public init(
        method: String, url: String, headers: [(String, String)] = [], body: Body = .none, verifyTLS: Bool = true,
        limits: TransferLimits = .smallObject
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.verifyTLS = verifyTLS
        self.limits = limits
    }
}

/// How long one attempt may take. A registry that trickles a manifest must fail fast (and be
/// retried by the caller) instead of holding the run; a blob's time grows with its size, so it
/// is only bounded by its speed.
public struct TransferLimits: Sendable, Equatable {
    /// The attempt is abandoned when slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds`
    /// (waiting for the answer counts as slow).
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int
    /// The whole attempt, connection included; nil for no bound.
    public var totalSeconds: Int?

    public init(lowSpeedBytesPerSecond: Int, lowSpeedSeconds: Int, totalSeconds: Int?) {
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedSeconds = lowSpeedSeconds
        self.totalSeconds = totalSeconds
    }

    /// Manifests, configs, tokens, the API check, HEADs and upload sessions: a few KiB each.
    public static let smallObject = TransferLimits(lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 10, totalSeconds: 60)
    /// Blob downloads and uploads.
    public static let bulk = TransferLimits(lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 60, totalSeconds: nil)
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    public let status: Int
    public let headers: [(String, String)]

    public init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    /// The last value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) }?.1
    }

    public func headers(_ name: String) -> [String] {
        headers.filter { $0.0.caseInsensitiveCompare(name) }.map(\.1)
    }
}

public struct HTTPResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: [UInt8]
    public var status: Int { head.status }
    public var headers: [(String, String)] { head.headers }

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.head = HTTPResponseHead(status: status, headers: headers)
        self.body = body
    }

    public func header(_ name: String) -> String? { head.header(name) }
    public func headers(_ name: String) -> [String] { head.headers(name) }
}

extension String {
    func caseInsensitiveCompare(_ other: String) -> Bool { lowercased() == other.lowercased() }
}

/// What may go into a request's header and URL. A value holding CR or LF would end the header
/// and start another (header injection); NUL, the other C0 controls and DEL have no place in a
/// token, a credential or a media type either.
public enum HTTPFieldSafety {
    public static func isSafeValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f }
    }

    /// A URL additionally holds no spaces.
    public static func isSafeURL(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
    }
}

public enum HTTPError: Error, CustomStringConvertible, Sendable {
    /// No HTTP answer: connection refused or reset, an empty reply, a body cut short, a timeout…
    /// Retryable unless the request itself was malformed.
    case transport(host: String, message: String, retryable: Bool)
    /// The server's certificate does not verify (or the CA file is unusable): never retried, and
    /// never a reason to fall back to plain HTTP unless the user named the host as insecure.
    case tlsVerification(host: String, message: String)
    /// The TLS handshake failed before any certificate was judged: often a port that speaks plain
    /// HTTP. Retryable like a connection error, and a reason to try plain HTTP where allowed.
    case tlsHandshake(host: String, message: String)
    case bodyTooLarge(host: String, limit: Int)
    /// A header value or URL with control characters; `field` names it, the value is never shown.
    case unsafeField(host: String, field: String)

    public var isRetryable: Bool {
        switch self {
        case .transport(_, _, let retryable): retryable
        case .tlsHandshake: true
        case .tlsVerification, .bodyTooLarge, .unsafeField: false
        }
    }

    public var description: String {
        switch self {
        case .transport(let host, let message, _), .tlsHandshake(let host, let message), .tlsVerification(let host, let message):
            "cannot reach \(host): \(message)"
        case .bodyTooLarge(let host, let limit): "\(host) sent a response body larger than \(limit) bytes"
        case .unsafeField(let host, let field):
            "refusing to send a request to \(host): its \(field) holds control characters"
        }
    }
}
