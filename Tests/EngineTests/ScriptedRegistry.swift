import Foundation
import HTTP
import ImagePatchTestSupport
import OCI

/// The registry API (`/v2/`) played over `ScriptedHTTP`, in memory: blob HEADs, cross-repository
/// mounts, upload sessions (POST, then one PUT with the digest, whose body is read as curl would
/// send it and checked), manifests by digest and tag. `fault` answers a request instead, when it
/// returns something (or throws, as a dropped connection does).
final class ScriptedRegistry: @unchecked Sendable {
    static let host = "127.0.0.1:5000"
    static let base = "http://\(host)"

    private let lock = NSLock()
    private var blobs: [String: [Digest: [UInt8]]] = [:]
    private var manifests: [String: [String: ManifestBlob]] = [:]
    private var sessions = 0
    let fault: @Sendable (HTTPRequest, Int) throws -> ScriptedHTTP.Answer?
    private(set) var http: ScriptedHTTP!

    /// A registry whose `repository` holds `image` under `tag`, and nothing else.
    convenience init(holding image: TestImage, in repository: String, tag: String) {
        let blobs = image.images.flatMap { [$0.config.bytes] + $0.layers.map(\.blob) }
        self.init(blobs: [repository: blobs])
        var named = Dictionary(image.images.map { ($0.manifest.digest.description, $0.manifest) }, uniquingKeysWith: { a, _ in a })
        named[tag] = image.root
        named[image.root.digest.description] = image.root
        manifests[repository] = named
    }

    init(blobs: [String: [[UInt8]]] = [:], fault: @escaping @Sendable (HTTPRequest, Int) throws -> ScriptedHTTP.Answer? = { _, _ in nil }) {
        self.blobs = blobs.mapValues { Dictionary($0.map { (Digest.sha256(of: $0), $0) }, uniquingKeysWith: { a, _ in a }) }
        self.fault = fault
        http = ScriptedHTTP { [unowned self] request, earlier in try self.answer(request, earlier) }
    }

    func blob(_ digest: Digest, in repository: String) -> [UInt8]? { lock.withLock { blobs[repository]?[digest] } }
    func manifest(_ reference: String, in repository: String) -> ManifestBlob? { lock.withLock { manifests[repository]?[reference] } }

    /// Method and path (with the query) of every request after the API check, in order.
    var exchanges: [String] {
        http.requests.filter { !$0.url.hasSuffix("/v2/") }.map { "\($0.method) \($0.url.dropFirst(Self.base.count))" }
    }

    private func answer(_ request: HTTPRequest, _ earlier: Int) throws -> ScriptedHTTP.Answer {
        try ScriptedHTTP.refusingTLS(request)
        if request.url == "\(Self.base)/v2/" { return .init() }
        if let answer = try fault(request, earlier) { return answer }
        guard request.url.hasPrefix(Self.base + "/v2/") else { return .init(status: 404) }
        let path = String(request.url.dropFirst(Self.base.count + 4))
        let (route, query) = path.firstIndex(of: "?").map { (String(path[..<$0]), String(path[path.index(after: $0)...])) } ?? (path, "")
        let parameters = Dictionary(
            query.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { a, _ in a })

        if let range = route.range(of: "/blobs/uploads/") {
            let repository = String(route[..<range.lowerBound])
            let session = String(route[range.upperBound...])
            switch (request.method, session.isEmpty) {
            case ("POST", true):
                if let mount = parameters["mount"], let from = parameters["from"], let digest = try? Digest(parsing: mount) {
                    if let bytes = blob(digest, in: from) {
                        lock.withLock { blobs[repository, default: [:]][digest] = bytes }
                        return .init(status: 201)
                    }
                }
                let number = lock.withLock {
                    sessions += 1
                    return sessions
                }
                return .init(status: 202, headers: [("Location", "/v2/\(repository)/blobs/uploads/session-\(number)")])
            case ("PUT", false):
                let digest = try Digest(parsing: parameters["digest"] ?? "")
                let bytes = try Self.body(of: request)
                guard Digest.sha256(of: bytes) == digest else {
                    return ScriptedHTTP.json(#"{"errors":[{"code":"DIGEST_INVALID"}]}"#, status: 400)
                }
                lock.withLock { blobs[repository, default: [:]][digest] = bytes }
                return .init(status: 201, headers: [("Docker-Content-Digest", digest.description)])
            default:
                return .init(status: 405)
            }
        }
        if let range = route.range(of: "/blobs/") {
            let repository = String(route[..<range.lowerBound])
            let digest = try Digest(parsing: String(route[range.upperBound...]))
            guard let bytes = blob(digest, in: repository) else { return .init(status: 404) }
            return request.method == "HEAD" ? .init(headers: [("Content-Length", "\(bytes.count)")]) : .init(body: bytes)
        }
        if let range = route.range(of: "/manifests/") {
            let repository = String(route[..<range.lowerBound])
            let reference = String(route[range.upperBound...])
            switch request.method {
            case "PUT":
                let type = request.headers.last { $0.0.lowercased() == "content-type" }?.1 ?? ""
                let manifest = ManifestBlob(bytes: try Self.body(of: request), mediaType: type)
                lock.withLock { manifests[repository, default: [:]][reference] = manifest }
                return .init(status: 201, headers: [("Docker-Content-Digest", manifest.digest.description)])
            case "GET", "HEAD":
                guard let manifest = manifest(reference, in: repository) else { return .init(status: 404) }
                return .init(
                    headers: [("Content-Type", manifest.mediaType), ("Docker-Content-Digest", manifest.digest.description)],
                    body: request.method == "GET" ? manifest.bytes : [])
            default:
                return .init(status: 405)
            }
        }
        return .init(status: 404)
    }

    /// A request body as curl sends it: a stream is read up to its Content-Length.
    static func body(of request: HTTPRequest) throws -> [UInt8] {
        switch request.body {
        case .none: return []
        case .bytes(let bytes): return bytes
        case .stream(let length, let read):
            var out: [UInt8] = []
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            defer { chunk.deallocate() }
            while length.map({ Int64(out.count) < $0 }) ?? true {
                let count = try read(chunk)
                if count == 0 { break }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            }
            return out
        }
    }
}
