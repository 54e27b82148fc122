import AdmissionWebhook
import Foundation
import JSON
import Logging
import Synchronization
import TestTools

/// A webhook server on a loopback port of its own, for one test; `stop()` shuts it down.
final class TestServer: Sendable {
    let port: Int
    let pki: TestPKI
    let logs: LogCapture
    private let task: Task<Void, any Error>

    private init(port: Int, pki: TestPKI, logs: LogCapture, task: Task<Void, any Error>) {
        self.port = port
        self.pki = pki
        self.logs = logs
        self.task = task
    }

    static func start(
        mutator: any PodMutating, pki: TestPKI? = nil, configure: (inout WebhookConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        let pki = try await { if let pki { return pki } else { return try await TestPKI.make() } }()
        var configuration = WebhookConfiguration(host: "127.0.0.1", port: 0, certificatePath: pki.certificatePath, keyPath: pki.keyPath)
        configure(&configuration)
        let logs = LogCapture()
        let logger = Logger(label: "webhook-test") { label in
            JSONLinesLogHandler(label: label, logLevel: .info, write: { logs.append($0) })
        }
        let server = try WebhookServer(configuration: configuration, mutator: mutator, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            defer { continuation.finish() }
            try await server.run(onListening: { continuation.yield($0) })
        }
        var port: Int?
        for await bound in ports {
            port = bound
            break
        }
        guard let port, port > 0 else {
            try await task.value
            throw ServerDidNotStart()
        }
        return TestServer(port: port, pki: pki, logs: logs, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        pki.directory.remove()
    }

    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// An HTTPS request with curl, verified against the test CA. Returns the status and the body.
    func request(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        let scratch = try TemporaryDirectory(label: "request")
        defer { scratch.remove() }
        var arguments = ["-sS", "--cacert", pki.caPath, "-o", scratch.file("response"), "-w", "%{http_code}", "-X", method]
        if let body {
            try scratch.write("body", body)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + scratch.file("body")]
        }
        let result = try await Tools.check("curl", arguments + [baseURL + path])
        let response = (try? scratch.read("response")) ?? []
        return (Int(result.stdout) ?? -1, response)
    }

    func review(_ body: JSONValue) async throws -> (status: Int, body: [UInt8]) {
        try await request("POST", "/mutate", body: body.serialized())
    }
}

struct ServerDidNotStart: Error {}

/// The server's log lines, parsed.
final class LogCapture: Sendable {
    private let lines = Mutex<[[UInt8]]>([])

    func append(_ line: [UInt8]) {
        lines.withLock { $0.append(line) }
    }

    var entries: [JSONValue] {
        lines.withLock { $0 }.compactMap { try? JSONValue(parsing: $0.dropLast()) }
    }

    func reviews() -> [JSONValue] {
        entries.filter { $0["msg"]?.stringValue == "admission review" }
    }
}
