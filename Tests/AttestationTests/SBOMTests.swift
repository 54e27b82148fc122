import Attestation
import Foundation
import Hashing
import OCI
import TestTools
import Testing

@Suite("Attestation: SBOMs (SPDX 2.3, CycloneDX 1.5)")
struct SBOMTests {
    static let files: [(String, [UInt8])] = [
        ("opt/agent/bin/agent", Array("#!/bin/sh\necho agent\n".utf8)),
        ("/opt/agent/lib/libagent.so", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
        ("./opt/agent/etc/agent.yaml", Array("level: info\n".utf8)),
        ("opt/agent/empty", []),
        ("opt/agent/name with spaces ü.txt", Array("x".utf8)),
    ]

    static func builder() throws -> SBOMBuilder {
        var builder = SBOMBuilder(
            documentName: "imagepatch agent layer", namespace: "https://example.com/spdx/sha256-0123",
            created: Timestamp(secondsSinceEpoch: 1_780_000_000), creatorTool: "imagepatch-1.2.3",
            package: AgentImagePackage(
                repository: "registry.example:5000/security/Agent",
                digest: .sha256(of: Array("agent manifest".utf8)), version: "7.1.0"))
        for (path, content) in files.reversed() {
            try builder.add(path: path, checksums: FileChecksums.of(content))
        }
        return builder
    }

    @Test("pyspdxtools validates the document; its files and SHA-256/SHA-1 values are the inputs'")
    func validates() async throws {
        try await TemporaryDirectory.with("spdx") { directory in
            let document = try Self.builder().spdxJSON()
            #expect(document == (try Self.builder().spdxJSON()))
            let path = try directory.write("sbom.spdx.json", document)
            try await Tools.check("pyspdxtools", ["-i", path])

            // The expected list is computed by Python's hashlib from the same contents.
            let listing = Self.files.map { "\($0.0)\t\(hex($0.1))" }.joined(separator: "\n")
            let script = """
                import sys, hashlib
                from spdx_tools.spdx.parser.parse_anything import parse_file
                from spdx_tools.spdx.model import ChecksumAlgorithm, RelationshipType
                expected = {}
                for line in open(sys.argv[2]).read().split("\\n"):
                    path, content = line.split("\\t")
                    data = bytes.fromhex(content)
                    expected["./" + path.lstrip("./").lstrip("/")] = (hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest())
                doc = parse_file(sys.argv[1])
                got = {f.name: ({c.algorithm: c.value for c in f.checksums}[ChecksumAlgorithm.SHA256],
                                {c.algorithm: c.value for c in f.checksums}[ChecksumAlgorithm.SHA1]) for f in doc.files}
                assert got == expected, (got, expected)
                [package] = doc.packages
                assert package.version == "7.1.0" and package.name == "registry.example:5000/security/Agent"
                contained = {r.related_spdx_element_id for r in doc.relationships
                             if r.relationship_type == RelationshipType.CONTAINS and r.spdx_element_id == package.spdx_id}
                assert contained == {f.spdx_id for f in doc.files}
                assert any(r.relationship_type == RelationshipType.DESCRIBES for r in doc.relationships)
                assert package.external_references[0].locator.startswith("pkg:oci/agent@sha256%3A")
                code = hashlib.sha1("".join(sorted(v[1] for v in expected.values())).encode()).hexdigest()
                assert package.verification_code.value == code
                print(len(doc.files))
                """
            let listingPath = try directory.write("listing", Array(listing.utf8))
            #expect(try await Tools.python(script, [path, listingPath]).stdout == "\(Self.files.count)\n")
        }
    }

    @Test("pyspdxtools rejects a copy without the SHA-1 checksums, so the validation above can fail")
    func validatorCanFail() async throws {
        try await TemporaryDirectory.with("spdx-bad") { directory in
            let text = String(decoding: try Self.builder().spdxJSON(), as: UTF8.self)
                .replacingOccurrences(of: "\"algorithm\": \"SHA1\"", with: "\"algorithm\": \"MD5\"")
            let path = try directory.write("broken.spdx.json", Array(text.utf8))
            let result = try await Tools.run("pyspdxtools", ["-i", path])
            #expect(result.exitCode != 0, "\(result)")
        }
    }

    @Test("the same path twice keeps the last checksums; SPDXIDs depend only on the path")
    func duplicatesAndIDs() throws {
        var builder = try Self.builder()
        try builder.add(path: "/opt/agent/bin/agent", checksums: FileChecksums.of([1, 2, 3]))
        #expect(builder.fileCount == Self.files.count)
        let text = String(decoding: builder.spdxJSON(), as: UTF8.self)
        #expect(text.contains(FileChecksums.of([1, 2, 3]).sha256Hex))
        #expect(!text.contains(FileChecksums.of(Self.files[0].1).sha256Hex))
        #expect(throws: AttestationError.self) { try builder.add(path: "/", checksums: FileChecksums.of([])) }
    }

    /// argv: BOM file, listing file; validates against CycloneDX 1.5's JSON schema (as shipped in
    /// cyclonedx-python-lib) and prints the number of files whose hashes match the listing.
    static let checkCycloneDX = """
        import sys, json, hashlib
        from cyclonedx.validation.json import JsonStrictValidator
        from cyclonedx.schema import SchemaVersion
        text = open(sys.argv[1]).read()
        error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
        if error is not None:
            print("invalid:", error)
            sys.exit(0)
        expected = {}
        for line in open(sys.argv[2]).read().split("\\n"):
            path, content = line.split("\\t")
            data = bytes.fromhex(content)
            expected["./" + path.lstrip("./").lstrip("/")] = {"SHA-256": hashlib.sha256(data).hexdigest(), "SHA-1": hashlib.sha1(data).hexdigest()}
        bom = json.loads(text)
        got = {c["name"]: {h["alg"]: h["content"] for h in c["hashes"]} for c in bom["components"] if c["type"] == "file"}
        assert got == expected, (got, expected)
        image = bom["metadata"]["component"]
        assert image["type"] == "container" and image["version"] == "7.1.0" and image["purl"].startswith("pkg:oci/agent@sha256%3A")
        print(len(got))
        """

    @Test("the CycloneDX 1.5 document passes the CycloneDX schema and lists the same files and hashes; a broken copy does not pass")
    func cycloneDX() async throws {
        try await TemporaryDirectory.with("cdx") { directory in
            let document = try Self.builder().cycloneDXJSON()
            #expect(document == (try Self.builder().cycloneDXJSON()))
            let path = try directory.write("sbom.cdx.json", document)
            let listing = Self.files.map { "\($0.0)\t\(hex($0.1))" }.joined(separator: "\n")
            let listingPath = try directory.write("listing", Array(listing.utf8))
            #expect(try await Tools.python(Self.checkCycloneDX, [path, listingPath]).stdout == "\(Self.files.count)\n")

            let broken = String(decoding: document, as: UTF8.self).replacingOccurrences(
                of: "\"type\": \"file\"", with: "\"type\": \"blob\"")
            let brokenPath = try directory.write("broken.cdx.json", Array(broken.utf8))
            #expect(try await Tools.python(Self.checkCycloneDX, [brokenPath, listingPath]).stdout.hasPrefix("invalid:"))
        }
    }
}
