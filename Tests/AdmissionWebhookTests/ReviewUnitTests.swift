import AdmissionWebhook
import Foundation
import JSON
import Logging
import Synchronization
import Testing

/// The parts without a server: parsing reviews, the answer's shape, the listen address, the cache.
@Suite struct ReviewUnitTests {
    @Test func parsesTheAPIServersRequest() throws {
        let request = try AdmissionReview.parseRequest(Fixtures.review().serialized())
        #expect(request.uid == "8f2b4c1e-3a57-4d8e-b1c9-6e0f2a9d7c34")
        #expect(request.kind == "Pod")
        #expect(request.resource == "pods")
        #expect(request.operation == "CREATE")
        #expect(request.namespace == "shop")
        #expect(request.podName == "web-7d4b9c8f6-")
        #expect(request.isPodCreation)
        #expect(request.object == Fixtures.pod)
    }

    @Test func malformedRequestsNameTheirFault() {
        func fault(_ text: String) -> String? {
            do {
                _ = try AdmissionReview.parseRequest(Array(text.utf8))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(fault("{")?.hasPrefix("the body is not JSON") == true)
        #expect(fault("3") == "the body is a number, not an AdmissionReview object")
        #expect(fault(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1"}"#)?.contains("apiVersion") == true)
        #expect(fault(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#) == "request is missing or not an object")
        #expect(
            fault(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":7,"object":{}}}"#)
                == "request.uid is missing or not a string")
        #expect(
            fault(#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":"x"}}"#)
                == "request.object is missing or not an object")
    }

    @Test func answerShape() throws {
        let none = AdmissionReview.response(uid: "u1", patch: [])
        #expect(
            String(decoding: none.serialized(), as: UTF8.self)
                == #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u1","allowed":true}}"#)
        let patched = AdmissionReview.response(
            uid: "u2", patch: [JSONPatch.Operation(kind: .add, path: "/a", value: .string("b"))], warnings: ["imagepatch: w"])
        let response = try #require(patched["response"])
        #expect(response["patchType"] == .string("JSONPatch"))
        let decoded = Data(base64Encoded: try #require(response["patch"]?.stringValue)).map { [UInt8]($0) }
        #expect(decoded.map { String(decoding: $0, as: UTF8.self) } == #"[{"op":"add","path":"/a","value":"b"}]"#)
        #expect(response["warnings"] == .array([.string("imagepatch: w")]))
    }

    @Test func reviewerWithoutAServer() async throws {
        let reviewer = AdmissionReviewer(mutator: TestInjector(), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        guard case .answer(let answer, .patched) = await reviewer.review(Fixtures.review().serialized()) else {
            Issue.record("expected a patch")
            return
        }
        #expect(answer["response"]?["uid"] == .string("8f2b4c1e-3a57-4d8e-b1c9-6e0f2a9d7c34"))
        guard case .malformed(let message) = await reviewer.review(Array("{}".utf8)) else {
            Issue.record("expected malformed")
            return
        }
        #expect(message == "kind is not AdmissionReview")
    }

    @Test func listenAddresses() throws {
        #expect(try WebhookConfiguration.parseListenAddress(":8443") == ("0.0.0.0", 8443))
        #expect(try WebhookConfiguration.parseListenAddress("127.0.0.1:0") == ("127.0.0.1", 0))
        #expect(try WebhookConfiguration.parseListenAddress("[::]:9443") == ("::", 9443))
        #expect(try WebhookConfiguration.parseListenAddress("localhost:443") == ("localhost", 443))
        for bad in ["8443", ":", ":65536", ":-1", ":+1", "::1:80", "[::1]", "[::1]80", "host:x"] {
            #expect(throws: ListenAddressError.self, "\(bad)") { try WebhookConfiguration.parseListenAddress(bad) }
        }
    }

    @Test func cacheExpiresAndStaysBounded() {
        let clock = Mutex(ContinuousClock.now)
        let cache = BoundedTTLCache<String, Int>(capacity: 2, timeToLive: .seconds(60)) { clock.withLock { $0 } }
        cache.insert(1, for: "a")
        cache.insert(2, for: "b")
        #expect(cache.value(for: "a") == 1)  // a is now more recent than b
        cache.insert(3, for: "c")
        #expect(cache.count == 2)
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.value(for: "c") == 3)
        clock.withLock { $0 = $0.advanced(by: .seconds(61)) }
        #expect(cache.value(for: "a") == nil)
        #expect(cache.value(for: "c") == nil)
    }

    @Test func concurrentLookupsShareOneComputation() async throws {
        let cache = BoundedTTLCache<String, String>(capacity: 10, timeToLive: .seconds(60))
        let calls = Counter()
        let (gate, opening) = AsyncStream.makeStream(of: Void.self)
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.value(for: "registry.example/app@sha256:1") {
                        calls.increment()
                        for await _ in gate { break }
                        return "entrypoint"
                    }
                }
            }
            // Let every lookup start before the first computation ends.
            try await Task.sleep(for: .milliseconds(100))
            opening.yield()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: "entrypoint", count: 8))
        #expect(calls.value == 1)
        // A failed computation is not cached.
        struct Unreachable: Error {}
        await #expect(throws: Unreachable.self) {
            try await cache.value(for: "down") { throw Unreachable() }
        }
        #expect(try await cache.value(for: "down") { "up" } == "up")
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
