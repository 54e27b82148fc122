import AdmissionWebhook
import Foundation
import JSON
import TestTools
import Testing

/// The webhook over real TLS on a loopback port: requests shaped as the API server sends them, answers
/// checked by curl's certificate verification against a CA made by openssl and by Python's jsonpatch.
@Suite struct WebhookServerTests {
    /// Applies the answer's patch to the pod with Python's jsonpatch and compares the result with the
    /// expected pod; prints the number of operations. Fails on any deviation from the v1 answer shape.
    static let applyPatch = """
        import base64, json, sys
        import jsonpatch
        answer = json.load(open(sys.argv[1]))
        pod = json.load(open(sys.argv[2]))
        expected = json.load(open(sys.argv[3]))
        assert answer["apiVersion"] == "admission.k8s.io/v1", answer
        assert answer["kind"] == "AdmissionReview", answer
        response = answer["response"]
        assert response["uid"] == sys.argv[4], response
        assert response["allowed"] is True, response
        assert "warnings" not in response, response
        if pod == expected:
            assert "patch" not in response and "patchType" not in response, response
            print(0)
            sys.exit(0)
        assert response["patchType"] == "JSONPatch", response
        operations = json.loads(base64.b64decode(response["patch"], validate=True))
        result = jsonpatch.JsonPatch(operations).apply(pod)
        if result != expected:
            print(json.dumps(list(jsonpatch.make_patch(result, expected)), indent=1))
            sys.exit(1)
        print(len(operations))
        """

    /// Checks the answer with `applyPatch`; returns the number of operations.
    static func checkPatch(answer: [UInt8], pod: JSONValue, expected: JSONValue, uid: String) async throws -> Int {
        let scratch = try TemporaryDirectory(label: "patch")
        defer { scratch.remove() }
        try scratch.write("answer.json", answer)
        try scratch.write("pod.json", pod.serialized())
        try scratch.write("expected.json", expected.serialized())
        let result = try await Tools.python(
            applyPatch, [scratch.file("answer.json"), scratch.file("pod.json"), scratch.file("expected.json"), uid])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func patchTurnsThePodIntoTheInjectedOne() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        let expected = try await TestInjector().injectPod(Fixtures.pod, namespaceLabels: [:])
        let (status, answer) = try await server.review(Fixtures.review())
        #expect(status == 200)
        let operations = try await Self.checkPatch(
            answer: answer, pod: Fixtures.pod, expected: expected, uid: "8f2b4c1e-3a57-4d8e-b1c9-6e0f2a9d7c34")
        #expect(operations > 0)

        // Reinvocation (reinvocationPolicy: IfNeeded) sends the injected pod: nothing more to do.
        let (again, second) = try await server.review(Fixtures.review(uid: "second", pod: expected))
        #expect(again == 200)
        #expect(try await Self.checkPatch(answer: second, pod: expected, expected: expected, uid: "second") == 0)

        // One structured line per review: namespace, pod (generateName here), decision, milliseconds.
        let lines = server.logs.reviews()
        #expect(lines.count == 2)
        #expect(lines.first?["namespace"]?.stringValue == "shop")
        #expect(lines.first?["pod"]?.stringValue == "web-7d4b9c8f6-")
        #expect(lines.first?["decision"]?.stringValue == "patched")
        #expect(lines.first?["uid"]?.stringValue == "8f2b4c1e-3a57-4d8e-b1c9-6e0f2a9d7c34")
        #expect(lines.first?["ms"].flatMap { $0.stringValue.flatMap(Double.init) } != nil)
        #expect(lines.last?["decision"]?.stringValue == "unchanged")
    }

    @Test func optedOutPodIsAdmittedWithoutPatch() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        var pod = Fixtures.pod.objectValue!
        var metadata = pod["metadata"]!.objectValue!
        var labels = metadata["labels"]!.objectValue!
        labels[TestInjector.optOutLabel] = .string("disabled")
        metadata["labels"] = .object(labels)
        pod["metadata"] = .object(metadata)
        let (status, answer) = try await server.review(Fixtures.review(uid: "opted-out", pod: .object(pod)))
        #expect(status == 200)
        #expect(try await Self.checkPatch(answer: answer, pod: .object(pod), expected: .object(pod), uid: "opted-out") == 0)
    }

    @Test func otherResourcesAndOperationsAreAdmittedUntouched() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        let deployment = TestInjector.json(#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web"},"spec":{}}"#)
        for review in [
            Fixtures.review(uid: "d", pod: deployment, kind: "Deployment", resource: "deployments"),
            Fixtures.review(uid: "u", operation: "UPDATE"),
        ] {
            let (status, answer) = try await server.review(review)
            #expect(status == 200)
            let response = try JSONValue(parsing: answer)["response"]
            #expect(response?["allowed"] == .bool(true))
            #expect(response?["patch"] == nil)
        }
        #expect(server.logs.reviews().map { $0["decision"]?.stringValue } == ["skipped", "skipped"])
    }

    @Test func malformedBodiesGet400AndTheServerLivesOn() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        var missingUID = Fixtures.review().objectValue!
        var request = missingUID["request"]!.objectValue!
        request["uid"] = nil
        missingUID["request"] = .object(request)
        var missingObject = Fixtures.review().objectValue!
        request = missingObject["request"]!.objectValue!
        request["object"] = .null
        missingObject["request"] = .object(request)
        var beta = Fixtures.review().objectValue!
        beta["apiVersion"] = .string("admission.k8s.io/v1beta1")
        let bodies: [(String, [UInt8])] = [
            ("not JSON", Array("this is not json".utf8)),
            ("truncated", Array(Fixtures.review().serialized().dropLast(7))),
            ("an array", Array("[]".utf8)),
            ("another kind", Array(#"{"apiVersion":"v1","kind":"Pod","metadata":{}}"#.utf8)),
            ("v1beta1", JSONValue.object(beta).serialized()),
            ("no uid", JSONValue.object(missingUID).serialized()),
            ("no object", JSONValue.object(missingObject).serialized()),
            ("empty", []),
        ]
        for (name, body) in bodies {
            let (status, message) = try await server.request("POST", "/mutate", body: body)
            #expect(status == 400, "\(name)")
            #expect(String(decoding: message, as: UTF8.self).hasPrefix("imagepatch: not an AdmissionReview: "), "\(name)")
        }
        #expect(try await server.request("GET", "/healthz").status == 200)
        let (status, answer) = try await server.review(Fixtures.review(uid: "after"))
        #expect(status == 200)
        let expected = try await TestInjector().injectPod(Fixtures.pod, namespaceLabels: [:])
        #expect(try await Self.checkPatch(answer: answer, pod: Fixtures.pod, expected: expected, uid: "after") > 0)
    }

    @Test func oversizedBodyIsRefusedAndTheServerLivesOn() async throws {
        let server = try await TestServer.start(mutator: TestInjector()) { $0.maxBodySize = 64 * 1024 }
        defer { Task { await server.stop() } }
        let padding = String(repeating: "x", count: 100 * 1024)
        let big = Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","pad":"\#(padding)"}"#.utf8)
        #expect(try await server.request("POST", "/mutate", body: big).status == 413)
        #expect(try await server.review(Fixtures.review()).status == 200)
    }

    @Test func aFailingInjectorAdmitsThePodWithAWarning() async throws {
        let server = try await TestServer.start(mutator: FailingInjector())
        defer { Task { await server.stop() } }
        let (status, answer) = try await server.review(Fixtures.review(uid: "fails"))
        #expect(status == 200)
        let response = try JSONValue(parsing: answer)["response"]
        #expect(response?["uid"] == .string("fails"))
        #expect(response?["allowed"] == .bool(true))
        #expect(response?["patch"] == nil)
        #expect(response?["patchType"] == nil)
        let warnings = response?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("imagepatch: ") == true)
        #expect(warnings.first?.contains("connection refused") == true)
        let line = server.logs.reviews().first
        #expect(line?["decision"]?.stringValue == "failed")
        #expect(line?["level"]?.stringValue == "warning")
        #expect(line?["error"]?.stringValue?.contains("registry.invalid") == true)
    }

    @Test func aHangingInjectorIsCutShortAndThePodAdmitted() async throws {
        let server = try await TestServer.start(mutator: HangingInjector()) { $0.reviewTimeout = .milliseconds(300) }
        defer { Task { await server.stop() } }
        let (status, answer) = try await server.review(Fixtures.review(uid: "slow"))
        #expect(status == 200)
        let response = try JSONValue(parsing: answer)["response"]
        #expect(response?["allowed"] == .bool(true))
        #expect(response?["patch"] == nil)
        #expect(response?["warnings"]?.arrayValue?.first?.stringValue?.hasPrefix("imagepatch: ") == true)
        #expect(server.logs.reviews().first?["decision"]?.stringValue == "timed-out")
    }

    @Test func healthz() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        let (status, body) = try await server.request("GET", "/healthz")
        #expect(status == 200)
        #expect(String(decoding: body, as: UTF8.self) == "ok\n")
    }

    @Test func plainHTTPIsRefused() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        let plain = try await Tools.run(
            "curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(plain.exitCode != 0, "\(plain)")
        #expect(plain.stdout != "200")
        let plainReview = try await Tools.run(
            "curl",
            [
                "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                "--data-binary", String(decoding: Fixtures.review().serialized(), as: UTF8.self), "http://127.0.0.1:\(server.port)/mutate",
            ])
        #expect(plainReview.exitCode != 0, "\(plainReview)")
        #expect(try await server.request("GET", "/healthz").status == 200)
    }

    /// TLS 1.1 is refused even when the client would accept it (its security level lowered so that the
    /// refusal is the server's); TLS 1.2 from the same client code succeeds.
    @Test func onlyTLS12AndNewer() async throws {
        let server = try await TestServer.start(mutator: TestInjector())
        defer { Task { await server.stop() } }
        let result = try await Tools.python(
            """
            import socket, ssl, sys
            def handshake(version):
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.load_verify_locations(sys.argv[2])
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
                context.minimum_version = version
                context.maximum_version = version
                try:
                    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
                        with context.wrap_socket(raw, server_hostname="localhost") as tls:
                            return tls.version()
                except (ssl.SSLError, OSError) as error:
                    return "refused"
            print(handshake(ssl.TLSVersion.TLSv1_1), handshake(ssl.TLSVersion.TLSv1_2), handshake(ssl.TLSVersion.TLSv1_3))
            """, [String(server.port), server.pki.caPath])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "refused TLSv1.2 TLSv1.3")
    }

    @Test func replacedCertificateFilesAreServed() async throws {
        let pki = try await TestPKI.make()
        try await pki.issueLeaf(named: "leaf2", commonName: "imagepatch-webhook-2")
        let server = try await TestServer.start(mutator: TestInjector(), pki: pki) {
            $0.certificateCheckInterval = .milliseconds(100)
        }
        defer { Task { await server.stop() } }
        #expect(try await pki.servedCommonName(port: server.port) == "imagepatch-webhook-1")
        try pki.install("leaf2")
        // Bounded wait for the next check, not a timing assertion.
        var served = ""
        for _ in 0..<100 {
            served = try await pki.servedCommonName(port: server.port)
            if served == "imagepatch-webhook-2" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == "imagepatch-webhook-2")
        // The rotated certificate verifies and serves reviews.
        #expect(try await server.review(Fixtures.review()).status == 200)
        #expect(server.logs.entries.contains { $0["msg"]?.stringValue == "TLS certificate reloaded" })

        // A key that is not the certificate's is not taken: the current pair stays in service.
        try await pki.issueLeaf(named: "leaf3", commonName: "imagepatch-webhook-3")
        try FileManager.default.removeItem(atPath: pki.directory.file("leaf3.key"))
        try FileManager.default.copyItem(atPath: pki.directory.file("leaf1.key"), toPath: pki.directory.file("leaf3.key"))
        try pki.install("leaf3")
        var logged = false
        for _ in 0..<100 where !logged {
            logged = server.logs.entries.contains { $0["msg"]?.stringValue?.hasPrefix("TLS certificate not reloaded") == true }
            if !logged { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(logged)
        #expect(try await pki.servedCommonName(port: server.port) == "imagepatch-webhook-2")
        // Key material never reaches the logs.
        let key = try String(contentsOfFile: pki.directory.file("leaf1.key"), encoding: .utf8)
        let body = key.split(separator: "\n").dropFirst().first.map(String.init) ?? "unused"
        #expect(!server.logs.entries.contains { String(decoding: $0.serialized(), as: UTF8.self).contains(body) })
    }
}
