import Attestation
import Foundation
import OCI
import TestTools
import Testing

@Suite("Attestation: in-toto statement with SLSA provenance")
struct ProvenanceTests {
    static let source = Digest.sha256(of: Array("source".utf8))
    static let agent = Digest.sha256(of: Array("agent".utf8))
    static let target = Digest.sha256(of: Array("target".utf8))

    static func provenance() -> SLSAProvenance {
        SLSAProvenance(
            externalParameters: [
                "source": .string("docker://r.example/app:1.0"),
                "agent": .list(["docker://r.example/agent:2"]),
                "target": .string("docker://r.example/app:1.0-patched"),
                "preset": .string("datadog"),
                "sbom": .bool(true),
            ],
            resolvedDependencies: [
                .init(uri: "docker://r.example/app@\(source)", digest: source, name: "source"),
                .init(uri: "docker://r.example/agent@\(agent)", digest: agent, name: "agent"),
            ],
            builderID: "https://example.com/imagepatch@1.2.3", invocationID: "run-42",
            startedOn: Timestamp(secondsSinceEpoch: 1_780_000_000), finishedOn: Timestamp(secondsSinceEpoch: 1_780_000_065))
    }

    @Test("the statement names the target as subject and the source and agent as dependencies, in SLSA v1's fields")
    func statementFields() async throws {
        let statement = Self.provenance().statement(subjects: [.init(name: "r.example/app", digest: Self.target)])
        #expect(statement == Self.provenance().statement(subjects: [.init(name: "r.example/app", digest: Self.target)]))
        // Read by Python's json, so the checks do not go through our own parser.
        let script = """
            import sys, json
            s = json.loads(sys.stdin.read())
            assert set(s) == {"_type", "subject", "predicateType", "predicate"}, s.keys()
            assert s["_type"] == "https://in-toto.io/Statement/v1"
            assert s["predicateType"] == "https://slsa.dev/provenance/v1"
            assert s["subject"] == [{"name": "r.example/app", "digest": {"sha256": "\(Self.target.hex)"}}], s["subject"]
            b, r = s["predicate"]["buildDefinition"], s["predicate"]["runDetails"]
            assert b["buildType"].startswith("urn:") or b["buildType"].startswith("https://"), b["buildType"]
            assert b["externalParameters"] == {"agent": ["docker://r.example/agent:2"], "preset": "datadog", "sbom": True,
                "source": "docker://r.example/app:1.0", "target": "docker://r.example/app:1.0-patched"}, b["externalParameters"]
            assert list(b["externalParameters"]) == sorted(b["externalParameters"])
            assert [(d["name"], d["digest"]) for d in b["resolvedDependencies"]] == [
                ("source", {"sha256": "\(Self.source.hex)"}), ("agent", {"sha256": "\(Self.agent.hex)"})]
            assert r["builder"] == {"id": "https://example.com/imagepatch@1.2.3"}
            assert r["metadata"] == {"invocationId": "run-42", "startedOn": "2026-05-28T20:26:40Z", "finishedOn": "2026-05-28T20:27:45Z"}, r
            print("ok")
            """
        #expect(try await Tools.check("python3", ["-c", script], stdin: String(decoding: statement, as: UTF8.self)).stdout == "ok\n")
    }
}
