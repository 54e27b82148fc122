import Attestation
import Foundation
import GzipDecoding
import Hashing
import IOFoundation
import ImagePatch
import ImagePatchTestSupport
import JSON
import OCI
import Tar
import Testing

/// Signatures, SBOMs and provenance published beside the image, against an in-memory registry
/// with and without the referrers API. The real registry and independent verifiers are in
/// ImagePatchTests/Attestation.
@Suite struct AttachmentTests {
    /// Test-only keys (made with `openssl ecparam -genkey -name prime256v1 | openssl pkcs8 -topk8 -nocrypt`).
    static let keyA = try! SigningKeyLoader.load(
        pem: Array(
            """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcld/zO9wVjB87rQT
            5vb4bwklPPaaw/R0QT9xmkiCnlWhRANCAAQA05OiJRv63XMbumQKVwsMF8bHccgo
            o3ckUK5wcort6h2xur6Ktgr0ryI1grmAcENi1e/Ezzr0P+G/iNEhZhPS
            -----END PRIVATE KEY-----
            """.utf8), passphrase: nil, name: "key A")
    static let keyB = try! SigningKeyLoader.load(
        pem: Array(
            """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdstkZWYkqZ7pVtFf
            WGVqXyeDUWCi3X5yFqOdr/rP6UWhRANCAAT1HjDiD02x8gmZGhzVaCYPGV1oghrW
            C6I2NtyH/clm17q9W3ROYsA1dHfB7Ruh1STV+d6LrqTL8jiqM2NWONkn
            -----END PRIVATE KEY-----
            """.utf8), passphrase: nil, name: "key B")

    static func options(_ harness: EngineHarness, key: ECDSAP256PrivateKey?, sbom: [SBOMFormat], provenance: Bool) -> PatchOptions {
        var options = harness.options()
        options.attach.signingKey = key
        options.attach.sbomFormats = sbom
        options.attach.provenance = provenance
        return options
    }

    @Test("without the referrers API: each platform's fallback index lists its SBOMs and provenance; root and platforms are signed")
    func tagSchema() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: true)
        let destination = AttachingDestination()
        let attached = try await harness.engine.patch(
            source: harness.source, agent: harness.agentSource, destination: destination,
            options: Self.options(harness, key: Self.keyA, sbom: [.spdx, .cyclonedx], provenance: true))
        let report = try #require(attached.attachments)
        #expect(report.artifacts.count == 3 * attached.platforms.count)
        for platform in attached.platforms {
            let tag = ReferrersIndex.fallbackTag(for: platform.digest)
            let index = try #require(destination.tags[tag], "no fallback index for \(platform.platform)")
            let entries = try ReferrersIndex.entries(of: index.bytes)
            #expect(
                Set(entries.compactMap { $0.json["artifactType"]?.stringValue })
                    == [SBOMBuilder.spdxMediaType, SBOMBuilder.cycloneDXMediaType, InTotoStatement.mediaType])
            for entry in entries {
                let manifest = try #require(destination.attachmentManifests[entry.digest])
                let object = try #require(try JSONValue(parsing: manifest.bytes).objectValue)
                #expect(object["subject"]?["digest"]?.stringValue == platform.digest.description)
                #expect(object["subject"]?["size"]?.int64Value == platform.size)
                #expect(object["config"]?["mediaType"]?.stringValue == ArtifactManifest.emptyConfigMediaType)
                let layer = try #require(object["layers"]?.arrayValue?.first)
                let document = try #require(destination.attachmentBlobs[try Digest(parsing: layer["digest"]!.stringValue!)])
                if entry.json["artifactType"]?.stringValue == SBOMBuilder.spdxMediaType {
                    try checkSPDX(document, platform: platform, image: destination.image)
                }
                if entry.json["artifactType"]?.stringValue == InTotoStatement.mediaType {
                    #expect(layer["mediaType"]?.stringValue == DSSE.envelopeMediaType)
                    let envelope = try DSSE.Envelope(parsing: document, place: "the test envelope")
                    #expect(envelope.isSigned(by: Self.keyA.publicKey))
                    #expect(!envelope.isSigned(by: Self.keyB.publicKey))
                    let statement = try #require(try JSONValue(parsing: envelope.payload).objectValue)
                    #expect(statement["subject"]?.arrayValue?.first?["digest"]?["sha256"]?.stringValue == platform.digest.hex)
                    let dependencies = statement["predicate"]?["buildDefinition"]?["resolvedDependencies"]?.arrayValue ?? []
                    let digests = Set(dependencies.compactMap { $0["digest"]?["sha256"]?.stringValue })
                    #expect(digests.isSuperset(of: [platform.sourceDigest.hex, platform.agentDigest.hex, attached.sourceRoot.hex]))
                }
            }
        }
        // Signed: every platform manifest and the index.
        let subjects = Set(report.signatures.map(\.subject))
        #expect(subjects == Set(attached.platforms.map(\.digest) + [attached.root.digest]))
        for signature in report.signatures {
            let manifest = try #require(destination.tags[signature.tag])
            let layer = try #require(try JSONValue(parsing: manifest.bytes)["layers"]?.arrayValue?.first)
            let payload = try #require(destination.attachmentBlobs[try Digest(parsing: layer["digest"]!.stringValue!)])
            let text = try #require(layer["annotations"]?[CosignSignature.signatureAnnotation]?.stringValue)
            #expect(Self.keyA.publicKey.verify(signature: try #require(Base64.decode(text)), message: payload))
            #expect(!Self.keyB.publicKey.verify(signature: try #require(Base64.decode(text)), message: payload))
            let object = try JSONValue(parsing: payload)
            #expect(object["critical"]?["image"]?["docker-manifest-digest"]?.stringValue == signature.subject.description)
            #expect(object["critical"]?["identity"]?["docker-reference"]?.stringValue == destination.repositoryReference)
        }
        // The --json result names them.
        let json = attached.json
        #expect(json["signatures"]?.arrayValue?.count == report.signatures.count)
        #expect(json["attachments"]?.arrayValue?.allSatisfy { $0["referrers"]?.stringValue == "tag" } == true)
    }

    /// The SPDX document lists exactly the regular files of the agent layer, with their SHA-256.
    func checkSPDX(_ document: [UInt8], platform: PatchResult.PlatformResult, image: RecordingDestination) throws {
        let blob = try #require(image.blobs[platform.agentLayer.digest])
        let tar = try GzipDecoder(reading: MemoryReader(blob)).readAll(limit: 1 << 30, what: "agent layer")
        let reader = try TarReader(reading: MemoryReader(tar), decompressing: false)
        var expected: [String: String] = [:]
        var byPath: [String: String] = [:]
        while let entry = try reader.nextEntry() {
            switch entry.kind {
            case .regular:
                var content: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try reader.readData(into: $0) }
                    if n == 0 { break }
                    content += buffer[0..<n]
                }
                byPath[entry.path] = DigestHasher.hex(.sha256, of: content)
                expected["./" + entry.path] = byPath[entry.path]
            case .hardlink: expected["./" + entry.path] = byPath[entry.linkTarget ?? ""]
            default: break
            }
        }
        #expect(!expected.isEmpty)
        let spdx = try JSONValue(parsing: document)
        var listed: [String: String] = [:]
        for file in spdx["files"]?.arrayValue ?? [] {
            let sha = file["checksums"]?.arrayValue?.first { $0["algorithm"]?.stringValue == "SHA256" }?["checksumValue"]?.stringValue
            listed[file["fileName"]?.stringValue ?? ""] = sha
        }
        #expect(listed == expected)
        #expect(spdx["packages"]?.arrayValue?.first?["name"] != nil)
    }

    @Test("with the referrers API no fallback tag is written; a second run adds, keeps others' entries, and signs once per key")
    func referrersAPIAndSecondRun() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: false)
        let api = AttachingDestination(referrersAPI: true)
        let first = try await harness.engine.patch(
            source: harness.source, agent: harness.agentSource, destination: api,
            options: Self.options(harness, key: nil, sbom: [.spdx], provenance: false))
        #expect(first.attachments?.artifacts.map(\.listing) == [.api])
        #expect(api.tags.keys.allSatisfy { !$0.hasPrefix("sha256-") })

        // Without the API: someone else's artifact is listed already.
        let platformDigest = first.platforms[0].digest
        let foreign = ArtifactManifest(
            artifactType: "application/example", document: Array("x".utf8), documentMediaType: "text/plain",
            subject: Descriptor(mediaType: MediaType.ociManifest, digest: platformDigest, size: first.platforms[0].size))
        let foreignIndex = try ReferrersIndex.adding(foreign.descriptor, to: nil).index
        let tag = ReferrersIndex.fallbackTag(for: platformDigest)
        let registry = AttachingDestination(tags: [tag: ManifestBlob(bytes: foreignIndex, mediaType: MediaType.ociIndex)])
        for (key, sbom, provenance) in [(Self.keyA, [SBOMFormat.spdx], false), (Self.keyA, [.spdx], true), (Self.keyB, [], false)] {
            _ = try await harness.engine.patch(
                source: harness.source, agent: harness.agentSource, destination: registry,
                options: Self.options(harness, key: key, sbom: sbom, provenance: provenance))
        }
        let entries = try ReferrersIndex.entries(of: try #require(registry.tags[tag]).bytes)
        let types = entries.compactMap { $0.json["artifactType"]?.stringValue }
        // The same SBOM twice is one entry (same inputs, same document); the provenance is new; the foreign entry stays.
        #expect(types.sorted() == ["application/example", SBOMBuilder.spdxMediaType, InTotoStatement.mediaType].sorted())
        // Two runs with key A and one with key B: two signature layers, not three.
        let signatures = try #require(registry.tags[CosignSignature.tag(for: platformDigest)])
        #expect(try JSONValue(parsing: signatures.bytes)["layers"]?.arrayValue?.count == 2)
    }

    @Test("a destination without attachments refuses --sign-key, --sbom and --provenance before anything is read or written")
    func localTargetRefused() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: true)
        for options in [
            Self.options(harness, key: Self.keyA, sbom: [], provenance: false),
            Self.options(harness, key: nil, sbom: [.spdx], provenance: false),
            Self.options(harness, key: nil, sbom: [], provenance: true),
        ] {
            let destination = RecordingDestination()
            await #expect(throws: PatchError.self) { try await harness.patch(into: destination, options) }
            #expect(destination.calls.allSatisfy { $0 == .abort }, "\(destination.calls)")
        }
    }

    @Test("a signature that cannot be pushed leaves the image pushed, and the error says it is not signed")
    func signingFailsAfterTheTagMoved() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: true)
        let destination = AttachingDestination(failManifestTag: { $0.hasSuffix(".sig") })
        do {
            _ = try await harness.engine.patch(
                source: harness.source, agent: harness.agentSource, destination: destination,
                options: Self.options(harness, key: Self.keyA, sbom: [], provenance: false))
            Issue.record("the run succeeded")
        } catch {
            let text = "\(error)"
            #expect(text.contains("was pushed") && text.contains("it is not signed") && text.contains("refused the manifest"), "\(text)")
        }
        #expect(destination.image.committedRoot != nil)
    }

    @Test("a dry run publishes nothing beside the image")
    func dryRun() async throws {
        let harness = try EngineHarness(family: .oci, asIndex: true)
        let destination = AttachingDestination()
        var options = Self.options(harness, key: Self.keyA, sbom: [.spdx], provenance: true)
        options.dryRun = true
        let result = try await harness.engine.patch(
            source: harness.source, agent: harness.agentSource, destination: destination, options: options)
        #expect(result.attachments == nil)
        #expect(destination.tags.isEmpty && destination.attachmentBlobWrites == 0)
    }
}
