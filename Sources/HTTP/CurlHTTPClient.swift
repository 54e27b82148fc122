import CCurl
import Dispatch
import Foundation
import IOFoundation

/// `HTTPClient` over libcurl: HTTP/1.1 and HTTP/2 (negotiated over TLS), the system CA store or a
/// given CA file, proxies from the environment (libcurl reads http_proxy, https_proxy, no_proxy).
/// Redirects are not followed here: the registry client follows them itself, because the
/// Authorization header must not travel to another host.
public final class CurlHTTPClient: HTTPClient, Sendable {
    public struct Configuration: Sendable {
        public var caFile: String?
        public var userAgent = "imagepatch"
        public var connectTimeoutSeconds = 30
        public init(caFile: String? = nil) { self.caFile = caFile }
    }

    private let configuration: Configuration
    private let pool = HandlePool()

    public init(configuration: Configuration = Configuration()) {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        self.configuration = configuration
    }

    public func send(_ request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?) async throws -> HTTPResponse {
        // libcurl's easy interface blocks; each transfer gets a thread of its own.
        try await BlockingExecutor.run { try self.perform(request, bodyLimit: bodyLimit, sink: sink) }
    }

    private func perform(_ request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?) throws -> HTTPResponse {
        try Self.checkFields(of: request)
        let handle = pool.take()
        defer { pool.give(handle) }
        curl_easy_reset(handle)
        let transfer = Transfer(request: request, bodyLimit: bodyLimit, sink: sink, handle: handle)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.connectTimeoutSeconds)
        ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, request.limits.lowSpeedBytesPerSecond)
        ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, request.limits.lowSpeedSeconds)
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT, request.limits.totalSeconds ?? 0)
        ccurl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
        ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, nil)  // blobs must arrive as stored
        if let caFile = configuration.caFile { ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, request.verifyTLS ? 1 : 0)
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, request.verifyTLS ? 2 : 0)
        ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)

        switch request.method {
        case "GET": ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        var headers = request.headers
        switch request.body {
        case .none:
            if request.method != "GET" && request.method != "HEAD" {
                ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
                ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, 0)
                ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback)
                ccurl_setopt_pointer(handle, CURLOPT_READDATA, context)
            }
        case .bytes(let bytes):
            transfer.upload = BytesUpload(bytes)
            ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
            ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback)
            ccurl_setopt_pointer(handle, CURLOPT_READDATA, context)
        case .stream(let length, let read):
            transfer.upload = read
            ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            if let length { ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(length)) }
            ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback)
            ccurl_setopt_pointer(handle, CURLOPT_READDATA, context)
        }
        // curl's UPLOAD uses PUT and "Expect: 100-continue"; the method is set above, and the
        // expectation only costs a round trip with registries.
        headers.append(("Expect", ""))
        for (name, value) in headers {
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)

        let code = curl_easy_perform(handle)
        if let error = transfer.error { throw error }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = Self.redactingUserInfo(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
            throw Self.classify(code, host: Self.host(of: request.url), message: message)
        }
        let status = ccurl_response_code(handle)
        // A 2xx answer with an empty body (a zero-byte blob) still gets its sink.
        if (200..<300).contains(status), request.method != "HEAD", transfer.sink == nil, let factory = sink {
            transfer.sink = try factory(HTTPResponseHead(status: status, headers: transfer.headers))
        }
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.collected)
    }

    /// Everything that reaches the wire from a header or the URL is checked here once, whoever
    /// built it: a CR LF in a token must not become a header of its own.
    static func checkFields(of request: HTTPRequest) throws {
        let host = Self.host(of: request.url)
        guard HTTPFieldSafety.isSafeURL(request.url) else { throw HTTPError.unsafeField(host: host, field: "URL") }
        for (name, value) in request.headers {
            let nameIsSafe = HTTPFieldSafety.isSafeURL(name) && !name.contains(":")
            guard nameIsSafe, HTTPFieldSafety.isSafeValue(value) else {
                throw HTTPError.unsafeField(host: host, field: nameIsSafe ? "\(name) header" : "header name")
            }
        }
    }

    /// Which failures may pass with another attempt: not a certificate that does not verify, not a
    /// request curl could not even form.
    static func classify(_ code: CURLcode, host: String, message: String) -> HTTPError {
        switch code {
        case CURLE_SSL_CONNECT_ERROR:
            return .tlsHandshake(host: host, message: message)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .tlsVerification(host: host, message: message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_OUT_OF_MEMORY:
            return .transport(host: host, message: message, retryable: false)
        default:
            // Refused, reset, empty reply (GOT_NOTHING), partial file, receive errors, timeouts.
            return .transport(host: host, message: message, retryable: true)
        }
    }

    /// curl's messages quote URLs, proxy URLs from the environment included: `scheme://user:pass@host`
    /// loses its user part before it can reach a log.
    public static func redactingUserInfo(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            result += rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            let authorityEnd = rest.firstIndex { "/ '\"\n".contains($0) } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }

    /// The host and port of a URL, for messages: never the path's query, never credentials.
    public static func host(of url: String) -> String {
        var rest = Substring(url)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") { rest = rest[rest.index(colon, offsetBy: 3)...] }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return String(authority.split(separator: "@").last ?? authority)
    }
}

/// Per-transfer state reached from libcurl's callbacks.
private final class Transfer {
    let bodyLimit: Int
    let sinkFactory: HTTPBodySinkFactory?
    var sink: HTTPBodySink?
    let handle: UnsafeMutableRawPointer
    let host: String
    var upload: ((UnsafeMutableRawBufferPointer) throws -> Int)?
    var headers: [(String, String)] = []
    var collected: [UInt8] = []
    var error: Error?
    var status: Int?

    init(request: HTTPRequest, bodyLimit: Int, sink: HTTPBodySinkFactory?, handle: UnsafeMutableRawPointer) {
        self.bodyLimit = bodyLimit
        self.sinkFactory = sink
        self.handle = handle
        self.host = CurlHTTPClient.host(of: request.url)
    }
}

private func BytesUpload(_ bytes: [UInt8]) -> (UnsafeMutableRawBufferPointer) throws -> Int {
    var offset = 0
    return { buffer in
        let count = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
        offset += count
        return count
    }
}

private let readCallback: ccurl_data_callback = { buffer, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    guard let upload = transfer.upload else { return 0 }
    do {
        return try upload(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
    } catch {
        transfer.error = error
        return Int(CURL_READFUNC_ABORT)
    }
}

private let headerCallback: ccurl_data_callback = { buffer, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
    let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: "\r\n")
    if line.hasPrefix("HTTP/") {
        transfer.headers = []  // a new response (after 100 Continue or similar) starts over
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon])
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t")
        transfer.headers.append((name, value))
    }
    return size * count
}

private let writeCallback: ccurl_data_callback = { buffer, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
    if transfer.status == nil { transfer.status = ccurl_response_code(transfer.handle) }
    do {
        if let factory = transfer.sinkFactory, let status = transfer.status, (200..<300).contains(status) {
            if transfer.sink == nil { transfer.sink = try factory(HTTPResponseHead(status: status, headers: transfer.headers)) }
            try transfer.sink!(bytes)
        } else {
            guard transfer.collected.count + bytes.count <= transfer.bodyLimit else {
                throw HTTPError.bodyTooLarge(host: transfer.host, limit: transfer.bodyLimit)
            }
            transfer.collected.append(contentsOf: bytes)
        }
        return bytes.count
    } catch {
        transfer.error = error
        return 0
    }
}

/// Reused easy handles keep their connections (and TLS sessions) alive between requests.
///
/// Sendable unchecked: the array is only touched between `wait()` and `signal()` of the semaphore
/// used as a lock, and a handle taken out belongs to the one transfer that took it until it is given
/// back (curl's rule: one handle, one thread at a time). Raw pointers cannot say that to the compiler.
private final class HandlePool: @unchecked Sendable {
    private var handles: [UnsafeMutableRawPointer] = []
    private let lock = DispatchSemaphore(value: 1)

    func take() -> UnsafeMutableRawPointer {
        lock.wait()
        defer { lock.signal() }
        if let handle = handles.popLast() { return handle }
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        return handle
    }

    func give(_ handle: UnsafeMutableRawPointer) {
        lock.wait()
        handles.append(handle)
        lock.signal()
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
