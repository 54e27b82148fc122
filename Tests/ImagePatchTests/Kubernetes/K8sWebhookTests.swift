import Foundation
import Glibc
import Testing

/// `imagepatch k8s webhook` as `k8s install` deploys it: the binary started with the Deployment's own
/// arguments and the Secret's certificate, reached over TLS verified against the configuration's
/// caBundle (curl, `--resolve` for the Service's name), its patches applied by Python's `jsonpatch`
/// and compared with what `k8s inject` writes for the same pod.
@Suite("k8s webhook (the binary, with install's TLS material)")
struct K8sWebhookTests {
    @Test("the patch turns a pod into exactly what k8s inject writes; an unreadable image admits the pod unchanged, with a warning")
    func patchEqualsInject() async throws {
        let registry = try await SharedRegistry.shared.plain()  // holds app:1 (Entrypoint /app/run.sh, Cmd hello)
        try await TempDirectory.with("k8s-webhook") { tmp in
            let webhook = try await RunningWebhook.start(in: tmp, registryHost: registry.host)
            defer { webhook.stop() }

            let pod: [String: Any] = [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["generateName": "web-7d9c5-", "namespace": "shop", "labels": ["app": "web"]],
                "spec": [
                    "containers": [
                        ["name": "web", "image": "nginx:1.27", "command": ["/docker-entrypoint.sh"], "args": ["nginx"]],
                        ["name": "app", "image": "\(registry.host)/app:1", "ports": [["containerPort": 8080]]],
                    ]
                ],
            ]
            let podFile = tmp.appending("pod.json")
            try JSONSerialization.data(withJSONObject: pod, options: [.sortedKeys]).write(to: URL(fileURLWithPath: podFile))
            let injected = try await K8sInject.run([podFile, "--insecure-registry", registry.host])
            #expect(injected.succeeded, "\(injected)")
            try injected.stdout.write(to: URL(fileURLWithPath: tmp.appending("expected.json")))

            // Twice: the second review is answered from the image cache, with the same patch.
            for uid in ["0f4e2d1c-1111-4a7b-9c3d-5e6f7a8b9c01", "0f4e2d1c-2222-4a7b-9c3d-5e6f7a8b9c02"] {
                let answer = try await webhook.review(pod, uid: uid, in: tmp)
                let checked = try await ProcessRunner.run(
                    "python3", ["-c", Self.applyPatch, tmp.appending("answer.json"), podFile, tmp.appending("expected.json"), uid])
                #expect(checked.succeeded && checked.stdoutText == "same\n", "\(checked)\nanswer: \(answer)")
            }

            // A registry that refuses connections: a fault of the webhook's, so the pod is admitted as it is.
            var unreadable = pod
            unreadable["spec"] = ["containers": [["name": "app", "image": "127.0.0.1:9/app:1"]]]
            let answer = try await webhook.review(unreadable, uid: "0f4e2d1c-3333-4a7b-9c3d-5e6f7a8b9c03", in: tmp)
            let response = try #require(answer["response"] as? [String: Any])
            #expect(response["allowed"] as? Bool == true)
            #expect(response["patch"] == nil)
            let warnings = response["warnings"] as? [String] ?? []
            // The registry's retries outlast the review's bound (4 s), so the warning says which ran out.
            #expect(warnings.count == 1 && warnings[0].hasPrefix("imagepatch: the agent was not injected: "), "\(warnings)")

            // The same port over plain HTTP gets no admission answer.
            let plain = try await ProcessRunner.run(
                "curl", ["--silent", "--max-time", "5", "-X", "POST", "--data-binary", "{}", "http://127.0.0.1:\(webhook.port)/mutate"])
            #expect(!plain.stdoutText.contains("AdmissionReview"), "\(plain)")

            let logs = try webhook.stopAndReadLogs()
            #expect(logs.exitCode == 0, "SIGTERM stops it gracefully: \(logs)")
            let reviews = logs.lines.compactMap { try? Oracles.jsonObject(Data($0.utf8)) }.filter { $0["decision"] != nil }
            #expect(reviews.count == 3, "one log line per review: \(logs)")
            #expect(reviews.allSatisfy { $0["namespace"] as? String == "shop" && $0["ms"] != nil }, "\(reviews)")
        }
    }

    @Test(
        "a bad flag, file or address ends in one error line before anything listens",
        arguments: [
            (
                ["--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key"],
                "cannot read the TLS certificate file /nonexistent/tls.crt"
            ),
            (["--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key", "--listen", "1.2.3"], "--listen 1.2.3"),
            (["--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key", "--image-cache-ttl", "5x"], "--image-cache-ttl"),
        ])
    func badStart(_ arguments: [String], _ message: String) async throws {
        let run = try await ProcessRunner.run(
            try RepositoryPaths.binary(), ["k8s", "webhook", "--agent-image", K8sInject.agentImage, "--cid", K8sInject.cid] + arguments)
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stderrLines.count == 1 && run.stderrLines[0].hasPrefix("imagepatch: error: "), "\(run)")
        #expect(run.stderrText.contains(message), "\(run)")
    }

    /// argv: answer.json pod.json expected.json uid. Applies the answer's patch to the pod with
    /// `jsonpatch` and prints "same" when the result equals `k8s inject`'s output.
    static let applyPatch = """
        import base64, json, sys, jsonpatch
        answer = json.load(open(sys.argv[1]))
        pod, expected = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
        assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview", answer
        response = answer["response"]
        assert response["uid"] == sys.argv[4] and response["allowed"] is True, response
        assert response["patchType"] == "JSONPatch", response
        patched = jsonpatch.apply_patch(pod, json.loads(base64.b64decode(response["patch"])))
        if patched == expected:
            print("same")
        else:
            print(json.dumps(patched, sort_keys=True)); print(json.dumps(expected, sort_keys=True))
        """
}

/// `imagepatch k8s webhook` started from `k8s install`'s Deployment arguments and Secret, on a
/// loopback port; stderr (its JSON log lines) goes to a file.
private struct RunningWebhook {
    static let serviceName = "imagepatch-injector.falcon-system.svc"

    let process: Process
    let port: Int
    let caFile: String
    let logFile: String

    static func start(in tmp: TempDirectory, registryHost: String) async throws -> RunningWebhook {
        let install = try await ProcessRunner.run(
            try RepositoryPaths.binary(),
            ["k8s", "install", "--image", "registry.example/imagepatch:1", "--agent-image", K8sInject.agentImage, "--cid", K8sInject.cid])
        guard install.succeeded else { throw CommandFailed(result: install) }
        let documents = try await K8sInject.yamlDocuments(install.stdout)
        let secret = try #require(documents.first { $0["kind"] as? String == "Secret" })
        let data = try #require(secret["data"] as? [String: String])
        let configuration = try #require(documents.first { $0["kind"] as? String == "MutatingWebhookConfiguration" })
        let hook = try #require((configuration["webhooks"] as? [[String: Any]])?.first)
        let caBundle = try #require((hook["clientConfig"] as? [String: Any])?["caBundle"] as? String)
        let deployment = try #require(documents.first { $0["kind"] as? String == "Deployment" })
        let spec = K8sInject.podSpec(deployment)
        var arguments = try #require(K8sInject.containers(spec).first?["args"] as? [String])

        let certificate = tmp.appending("tls.crt")
        let key = tmp.appending("tls.key")
        let caFile = tmp.appending("ca.pem")
        for (path, base64) in [(certificate, data["tls.crt"]), (key, data["tls.key"]), (caFile, caBundle)] {
            let text = try #require(base64)
            try #require(Data(base64Encoded: text)).write(to: URL(fileURLWithPath: path))
        }
        let port = try freePort()
        func replace(_ flag: String, _ value: String) throws {
            let index = try #require(arguments.firstIndex(of: flag), "install's Deployment passes \(flag)")
            arguments[index + 1] = value
        }
        try replace("--listen", "127.0.0.1:\(port)")
        try replace("--tls-cert", certificate)
        try replace("--tls-key", key)
        arguments += ["--insecure-registry", registryHost, "--insecure-registry", "127.0.0.1:9"]

        let logFile = tmp.appending("webhook.log")
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RepositoryPaths.binary())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try process.run()
        let webhook = RunningWebhook(process: process, port: port, caFile: caFile, logFile: logFile)
        do {
            try await webhook.waitUntilHealthy()
        } catch {
            webhook.stop()  // a webhook that never became healthy must not outlive the test
            throw error
        }
        return webhook
    }

    private func curl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            "curl",
            ["--silent", "--show-error", "--max-time", "10", "--cacert", caFile, "--resolve", "\(Self.serviceName):\(port):127.0.0.1"]
                + arguments)
    }

    private func waitUntilHealthy() async throws {
        for _ in 0..<300 {
            guard process.isRunning else { throw WebhookExited(log: (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "") }
            let health = try await curl(["--fail", "https://\(Self.serviceName):\(port)/healthz"])
            if health.succeeded { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebhookExited(log: "not healthy after 30 s: " + ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""))
    }

    /// POSTs an AdmissionReview v1 for `pod`, shaped as the API server sends it; returns the answer.
    func review(_ pod: [String: Any], uid: String, in tmp: TempDirectory) async throws -> [String: Any] {
        let review: [String: Any] = [
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": [
                "uid": uid, "kind": ["group": "", "version": "v1", "kind": "Pod"],
                "resource": ["group": "", "version": "v1", "resource": "pods"],
                "requestKind": ["group": "", "version": "v1", "kind": "Pod"],
                "requestResource": ["group": "", "version": "v1", "resource": "pods"],
                "namespace": "shop", "operation": "CREATE",
                "userInfo": ["username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts"]],
                "object": pod, "oldObject": NSNull(), "dryRun": false,
                "options": ["apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"],
            ],
        ]
        let body = tmp.appending("review.json")
        try JSONSerialization.data(withJSONObject: review).write(to: URL(fileURLWithPath: body))
        let answered = try await curl([
            "--fail", "-H", "Content-Type: application/json", "--data-binary", "@" + body,
            "-o", tmp.appending("answer.json"), "https://\(Self.serviceName):\(port)/mutate?timeout=5s",
        ])
        guard answered.succeeded else { throw CommandFailed(result: answered) }
        return try Oracles.jsonObject(Data(contentsOf: URL(fileURLWithPath: tmp.appending("answer.json"))))
    }

    struct Logs: CustomStringConvertible {
        let exitCode: Int32
        let text: String
        var lines: [String] { text.split(separator: "\n").map(String.init) }
        var description: String { "exit \(exitCode)\n\(text)" }
    }

    /// SIGTERM, then waits (up to 30 s) for the exit.
    func stopAndReadLogs() throws -> Logs {
        process.terminate()
        for _ in 0..<300 where process.isRunning { usleep(100_000) }
        let text = try String(contentsOfFile: logFile, encoding: .utf8)
        return Logs(exitCode: process.isRunning ? -1 : process.terminationStatus, text: text)
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    struct WebhookExited: Error, CustomStringConvertible {
        let log: String
        var description: String { "the webhook is not serving: \(log)" }
    }

    /// A loopback port nothing listens on now (the kernel's choice for port 0).
    static func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw POSIXError(.EIO) }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socketDescriptor, pointer, length) == 0 && getsockname(socketDescriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
