import Foundation
import HTTP
import OCI
import Testing

@testable import Registry

/// Retries, resumes and refetches against a scripted registry (the end-to-end versions run
/// through the fault proxy in ImagePatchTests).
@Suite("Registry: retries, resumes, refetches")
struct RegistryRetryTests {
    static let base = "http://127.0.0.1:5000"
    static let blobBytes: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    static let blob = Descriptor(
        mediaType: MediaType.ociLayerGzip,
        digest: Digest.sha256(of: blobBytes),
        size: Int64(blobBytes.count))
    static var blobURL: String { "\(base)/v2/app/blobs/\(blob.digest)" }

    /// The API check answers 200; `blob` answers the blob's URL; anything else is a 404.
    static func registry(
        apiCheck: @escaping (Int) -> ScriptedHTTP.Answer = { _ in .init() },
        blob: @escaping (HTTPRequest, Int) -> ScriptedHTTP.Answer = { _, _ in .init(body: blobBytes) },
        other: @escaping (HTTPRequest, Int) throws -> ScriptedHTTP.Answer = { _, _ in .init(status: 404) }
    ) -> ScriptedHTTP {
        ScriptedHTTP { request, earlier in
            try ScriptedHTTP.refusingTLS(request)
            if request.url == "\(base)/v2/" { return apiCheck(earlier) }
            if request.url == blobURL { return blob(request, earlier) }
            return try other(request, earlier)
        }
    }

    @Test("the API check is retried on 503, 429 and an empty reply")
    func apiCheckRetried() async throws {
        let http = ScriptedHTTP { request, earlier in
            try ScriptedHTTP.refusingTLS(request)
            switch earlier {
            case 0: return ScriptedHTTP.json(#"{"errors":[{"code":"UNAVAILABLE"}]}"#, status: 503)
            case 1: return ScriptedHTTP.Answer(status: 429, headers: [("Retry-After", "1")])
            case 2: throw HTTPError.transport(host: "127.0.0.1:5000", message: "Empty reply from server", retryable: true)
            default: return ScriptedHTTP.json("{}")
            }
        }
        _ = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        #expect(http.requests(to: "\(Self.base)/v2/").count == 4)
    }

    @Test("--retry-times bounds the attempts, and the error says how many and what the last answer was")
    func retryTimesBoundsAttempts() async throws {
        let http = ScriptedHTTP { request, _ in
            try ScriptedHTTP.refusingTLS(request)
            return ScriptedHTTP.json(#"{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}"#, status: 503)
        }
        var policy = RetryPolicy.fast
        policy.retries = 2
        let error = await #expect(throws: RegistryError.self) {
            try await scriptedTransport(http, retry: policy).source("127.0.0.1:5000/app:1")
        }
        #expect(http.requests(to: "\(Self.base)/v2/").count == 3)
        let text = "\(error!)"
        for part in ["127.0.0.1:5000", "API check", "in 3 attempts", "HTTP 503", "UNAVAILABLE"] {
            #expect(text.contains(part), "\(text)")
        }
    }

    @Test("the time budget stops retries even when attempts are left")
    func deadlineStopsRetries() async throws {
        let http = ScriptedHTTP { request, _ in
            try ScriptedHTTP.refusingTLS(request)
            return ScriptedHTTP.Answer(status: 503)
        }
        var policy = RetryPolicy.fast
        policy.retries = 50
        policy.smallObjectDeadline = 0
        await #expect(throws: RegistryError.self) { try await scriptedTransport(http, retry: policy).source("127.0.0.1:5000/app:1") }
        #expect(http.requests(to: "\(Self.base)/v2/").count == 1)
    }

    @Test("a blob whose bytes fail their digest once is fetched again")
    func blobRefetchedAfterMismatch() async throws {
        let http = Self.registry(blob: { _, earlier in
            var bytes = Self.blobBytes
            if earlier == 0 { bytes[5000] ^= 0xFF }
            return .init(body: bytes)
        })
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        #expect(try await readOffThePool(try await source.openBlob(Self.blob)) == Self.blobBytes)
        #expect(try await readOffThePool(try await source.streamBlob(Self.blob)) == Self.blobBytes)
        #expect(http.requests(to: Self.blobURL).count == 3)
    }

    @Test("a blob that fails its digest twice is an error naming the blob, the expected and the actual digest")
    func repeatedMismatchIsAnError() async throws {
        var wrong = Self.blobBytes
        wrong[0] ^= 0x01
        let wrongDigest = Digest.sha256(of: wrong).description
        let http = Self.registry(blob: { _, _ in .init(body: wrong) })
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        let error = await #expect(throws: OCIError.self) { _ = try await source.openBlob(Self.blob) }
        let text = "\(error!)"
        #expect(text.contains("blob \(Self.blob.digest) in 127.0.0.1:5000/app"), "\(text)")
        #expect(text.contains("expected \(Self.blob.digest)"), "\(text)")
        #expect(text.contains(wrongDigest), "\(text)")
        #expect(http.requests(to: Self.blobURL).count == 2)
    }

    @Test("a broken download resumes with Range where the registry allows (206), and starts over on 200")
    func brokenDownloadResumes() async throws {
        for honoursRange in [true, false] {
            let http = Self.registry(blob: { request, earlier in
                if earlier == 0 { return .init(body: Self.blobBytes, breakAfter: 4000) }
                let range = request.headers.first { $0.0 == "Range" }?.1
                guard honoursRange, range == "bytes=4000-" else { return .init(body: Self.blobBytes) }
                return .init(status: 206, headers: [("Content-Range", "bytes 4000-9999/10000")], body: Array(Self.blobBytes[4000...]))
            })
            let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
            #expect(try await readOffThePool(try await source.openBlob(Self.blob)) == Self.blobBytes)
            let requests = http.requests(to: Self.blobURL)
            #expect(requests.count == 2)
            let range = requests.last?.headers.first { $0.0 == "Range" }?.1
            #expect(range == "bytes=4000-")
        }
    }

    @Test("a streamed download resumes too, so the upload reading it never sees the break")
    func streamedDownloadResumes() async throws {
        let http = Self.registry(blob: { request, earlier in
            if earlier == 0 { return .init(body: Self.blobBytes, breakAfter: 6000) }
            return .init(status: 206, headers: [("Content-Range", "bytes 6000-9999/10000")], body: Array(Self.blobBytes[6000...]))
        })
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        #expect(try await readOffThePool(try await source.streamBlob(Self.blob)) == Self.blobBytes)
    }

    @Test("a 206 that does not start where the download stopped is refused")
    func wrongContentRangeRefused() async throws {
        let http = Self.registry(blob: { _, earlier in
            if earlier == 0 { return .init(body: Self.blobBytes, breakAfter: 4000) }
            return .init(status: 206, headers: [("Content-Range", "bytes 0-9999/10000")], body: Self.blobBytes)
        })
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        await #expect(throws: RegistryError.self) { _ = try await source.openBlob(Self.blob) }
    }

    @Test("a manifest larger than the limit: the error names which manifest of which image")
    func oversizedManifestNamed() async throws {
        let http = Self.registry(other: { _, _ in .init(body: [UInt8](repeating: 0x20, count: Limits.manifestBytes + 1)) })
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        let error = await #expect(throws: RegistryError.self) { _ = try await source.rootManifest() }
        let text = "\(error!)"
        #expect(
            text.contains("the manifest of 127.0.0.1:5000/app:1") && text.contains("larger than \(Limits.manifestBytes) bytes"), "\(text)")
    }

    @Test(
        "Retry-After: ASCII delta-seconds only, capped; anything else falls back to the backoff",
        arguments: [
            ("1", 1.0 as Double?), (" 3 ", 3), ("0", 0), ("99999999999999999999999", 30),
            ("٣", nil), ("３", nil), ("½", nil), ("1e3", nil), ("-1", nil), ("+2", nil), ("Wed, 21 Oct 2015 07:28:00 GMT", nil), ("", nil),
        ])
    func retryAfterParsing(header: String, expected: Double?) {
        let policy = RetryPolicy()
        if let expected {
            #expect(policy.delay(after: 0, retryAfter: header) == expected)
        } else {
            #expect(RetryPolicy.retryAfterSeconds(header) == nil)
            #expect(policy.delay(after: 0, retryAfter: header) <= policy.baseDelay * 1.25)
        }
    }
}
