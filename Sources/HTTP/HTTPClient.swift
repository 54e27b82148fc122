/// An HTTP exchange as the registry client needs it: streaming request bodies, streaming
/// response bodies for successful responses, small bounded bodies otherwise.
/// The registry code talks to this protocol only; `CurlHTTPClient` implements it with libcurl.
public protocol HTTPClient: Sendable {
    /// Sends `request`. A 2xx response body goes to `sink` when one is given; any other body is
    /// collected into `HTTPResponse.body`, up to `bodyLimit` bytes (more is an error).
    func send(_ request: HTTPRequest, bodyLimit: Int,
              sink: ((UnsafeRawBufferPointer) throws -> Void)?) async throws -> HTTPResponse
}

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

    public init(method: String, url: String, headers: [(String, String)] = [], body: Body = .none, verifyTLS: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.verifyTLS = verifyTLS
    }
}

public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The last value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) }?.1
    }

    public func headers(_ name: String) -> [String] {
        headers.filter { $0.0.caseInsensitiveCompare(name) }.map(\.1)
    }
}

extension String {
    func caseInsensitiveCompare(_ other: String) -> Bool { lowercased() == other.lowercased() }
}

public enum HTTPError: Error, CustomStringConvertible, Sendable {
    /// No HTTP answer: connection refused, TLS failure, timeout… Retryable unless TLS verification failed.
    case transport(host: String, message: String, retryable: Bool)
    case bodyTooLarge(host: String, limit: Int)

    public var description: String {
        switch self {
        case .transport(let host, let message, _): "cannot reach \(host): \(message)"
        case .bodyTooLarge(let host, let limit): "\(host) sent a response body larger than \(limit) bytes"
        }
    }
}
