import Attestation
import Foundation
import JSON
import OCI
import Testing

@Suite("Attestation: OCI 1.1 artifacts and the referrers tag schema")
struct ArtifactTests {
    static let subject = Descriptor(
        mediaType: MediaType.ociManifest, digest: .sha256(of: Array("platform".utf8)), size: 1234,
        platform: try! Platform(parsing: "linux/amd64"), annotations: [("x", "y")])

    static func artifact(_ document: String, type: String = ArtifactManifest.spdxArtifactType) -> ArtifactManifest {
        ArtifactManifest(
            artifactType: type, document: Array(document.utf8), documentMediaType: type, subject: subject,
            annotations: ["org.opencontainers.image.created": "2026-05-28T20:26:40Z"])
    }

    @Test("the artifact manifest has artifactType, the empty config, one layer and the subject")
    func manifestFields() throws {
        let artifact = Self.artifact(#"{"spdxVersion":"SPDX-2.3"}"#)
        let manifest = try JSONValue(parsing: artifact.manifest)
        #expect(manifest["schemaVersion"]?.int64Value == 2)
        #expect(manifest["mediaType"]?.stringValue == "application/vnd.oci.image.manifest.v1+json")
        #expect(manifest["artifactType"]?.stringValue == "application/spdx+json")
        // The OCI image spec's published digest of the empty descriptor's `{}`.
        #expect(
            manifest["config"]
                == .object(
                    JSONObject([
                        ("mediaType", .string("application/vnd.oci.empty.v1+json")),
                        ("digest", .string("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")),
                        ("size", .number("2")),
                    ])))
        #expect(manifest["layers"]?.arrayValue?.count == 1)
        #expect(manifest["layers"]?.arrayValue?.first?["digest"]?.stringValue == Digest.sha256(of: artifact.layer).description)
        #expect(
            manifest["subject"]
                == .object(
                    JSONObject([
                        ("mediaType", .string(MediaType.ociManifest)), ("digest", .string(Self.subject.digest.description)),
                        ("size", .number("1234")),
                    ])))
        #expect(artifact.descriptor.digest == .sha256(of: artifact.manifest))
        #expect(artifact.descriptor.json["artifactType"]?.stringValue == "application/spdx+json")
        #expect(artifact.descriptor.annotation("org.opencontainers.image.created") == "2026-05-28T20:26:40Z")
    }

    @Test("the fallback index gains our entries without losing others' and without duplicates")
    func referrersIndex() throws {
        #expect(ReferrersIndex.fallbackTag(for: Self.subject.digest) == "sha256-\(Self.subject.digest.hex)")
        let sbom = Self.artifact("sbom")
        let provenance = Self.artifact("prov", type: ArtifactManifest.inTotoArtifactType)
        let first = try ReferrersIndex.adding(sbom.descriptor, to: nil)
        #expect(first.changed)

        // Another tool's entry and an unknown top-level field, added between our runs.
        var object = try JSONValue(parsing: first.index).objectValue!
        var manifests = object["manifests"]!.arrayValue!
        let foreign = JSONValue.object(
            JSONObject([
                ("mediaType", .string(MediaType.ociManifest)), ("digest", .string(Digest.sha256(of: [9]).description)),
                ("size", .integer(10)),
                ("artifactType", .string("application/vnd.cncf.notary.signature")),
                ("annotations", .object(JSONObject([("k", .string("v"))]))),
            ]))
        manifests.insert(foreign, at: 0)
        object["manifests"] = .array(manifests)
        object["annotations"] = .object(JSONObject([("kept", .string("yes"))]))
        let existing = JSONValue.object(object).serialized()

        let second = try ReferrersIndex.adding(provenance.descriptor, to: existing)
        #expect(second.changed)
        let entries = try ReferrersIndex.entries(of: second.index)
        #expect(entries.map(\.digest) == [Digest.sha256(of: [9]), sbom.digest, provenance.digest])
        #expect(entries[0].jsonValue == foreign)
        #expect(try JSONValue(parsing: second.index)["annotations"]?["kept"]?.stringValue == "yes")
        #expect(
            try ReferrersIndex.entries(of: second.index, artifactType: ArtifactManifest.inTotoArtifactType).map(\.digest) == [
                provenance.digest
            ])

        let again = try ReferrersIndex.adding(sbom.descriptor, to: second.index)
        #expect(!again.changed)
        #expect(again.index == second.index)
    }

    @Test(
        "an existing fallback index that is not an OCI index is refused, not clobbered",
        arguments: [
            "", "null", #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
            #"{"schemaVersion":2,"manifests":[{"digest":"sha256:zz"}]}"#, #"{"manifests":[]}"#,
            #"{"schemaVersion":2,"manifests":"x"}"#,
        ])
    func refusesMalformed(existing: String) {
        #expect(throws: AttestationError.self) {
            try ReferrersIndex.adding(Self.artifact("x").descriptor, to: Array(existing.utf8))
        }
    }

    @Test("the fallback index is bounded in entries")
    func bounded() throws {
        let entries = (0..<Limits.maxIndexEntries).map { index -> JSONValue in
            .object(
                JSONObject([
                    ("mediaType", .string(MediaType.ociManifest)),
                    ("digest", .string(Digest.sha256(of: Array(String(index).utf8)).description)), ("size", .integer(1)),
                ]))
        }
        let full = JSONValue.object(JSONObject([("schemaVersion", .integer(2)), ("manifests", .array(entries))])).serialized()
        #expect(throws: AttestationError.tooManyEntries(place: "the referrers index", limit: Limits.maxIndexEntries)) {
            try ReferrersIndex.adding(Self.artifact("x").descriptor, to: full)
        }
    }
}
