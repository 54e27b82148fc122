import Foundation
import Testing

/// The tag-schema fallback of the referrers API on a registry without one (distribution 2.8): runs
/// add to the index under `sha256-<hex>` and keep what is already listed, someone else's entries too.
@Suite("Attestation: referrers through the fallback tag")
struct AttestationReferrersTests {
    static let foreignType = "application/vnd.example.review+json"

    @Test("someone else's referrer, then --sbom, then --sbom-format spdx,cyclonedx --provenance: every entry stays listed, none twice")
    func fallbackIndexKeepsEntries() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let reader = RegistryReader(registry: registry, repository: uniqueRepository("referrers"))
        let sources = try await platformDigests(registry, "app:1")
        let agents = try await platformDigests(registry, "agent:7")
        try await TempDirectory.with("referrers") { scratch in
            let cache = SharedCache(directory: try TempDirectory(label: "referrers-cache"))
            defer { cache.directory.remove() }
            func patch(_ flags: [String]) async throws -> [String: Any] {
                let run = try await ImagePatchCLI.patch(
                    source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: "\(reader.name):1", json: true,
                    extra: flags, environment: cache.environment)
                guard run.succeeded else { throw CommandFailed(result: run) }
                return try Oracles.jsonObject(run.stdout)
            }

            // The image first, then a referrer of its amd64 manifest pushed by another tool, listed in a fallback index.
            _ = try await patch([])
            let image = try await PatchedRegistryImage.read(reader, tag: "1")
            let amd64 = try #require(image.platforms["amd64"])
            let foreign = try await Self.pushForeignReferrer(reader, subject: amd64, in: scratch)

            let first = try await patch(["--sbom"])
            #expect(try await PatchedRegistryImage.read(reader, tag: "1").rootDigest == image.rootDigest)
            // The first run cached its agent layers without a file list; this one rebuilt them with it,
            // and the SBOM lists exactly the layer's files.
            let (_, document) = try await fetchArtifact(
                reader, subject: amd64, artifactType: AttestationTypes.spdx, layerType: AttestationTypes.spdx)
            let layerFile = scratch.appending("amd64-agent-layer")
            try await image.writeAgentLayer(amd64, to: layerFile)
            try await Verifier.accepts(["spdx", try writeFile(document, "amd64.spdx.json", in: scratch), "--layer", layerFile])
            var spdx: [String: String] = [:]
            for (arch, subject) in image.platforms {
                let referrers = try await FallbackReferrers.read(reader, subject: subject)
                let entries = referrers.entries(AttestationTypes.spdx)
                #expect(entries.count == 1, "\(arch): \(referrers.index.object)")
                spdx[arch] = entries.first?["digest"] as? String
                if arch == "amd64" {
                    #expect(referrers.digests.contains(foreign), "the other tool's referrer is still listed: \(referrers.index.object)")
                    #expect(
                        referrers.entries(Self.foreignType).first?["annotations"] as? [String: String] == ["org.example.reviewer": "tests"])
                }
            }
            AttestationSBOMTests.expectAttachments(first, image: image, artifactType: AttestationTypes.spdx, digests: spdx)

            let second = try await patch(["--sbom-format", "spdx,cyclonedx", "--provenance"])
            var cyclonedx: [String: String] = [:]
            var provenance: [String: String] = [:]
            for (arch, subject) in image.platforms {
                let referrers = try await FallbackReferrers.read(reader, subject: subject)
                // The same SBOM again (the document is deterministic) is listed once, as before.
                #expect(referrers.entries(AttestationTypes.spdx).compactMap { $0["digest"] as? String } == [spdx[arch]].compactMap { $0 })
                #expect(referrers.entries(AttestationTypes.cycloneDX).count == 1, "\(arch): \(referrers.index.object)")
                cyclonedx[arch] = referrers.entries(AttestationTypes.cycloneDX).first?["digest"] as? String
                #expect(referrers.digests.contains(foreign) == (arch == "amd64"), "\(arch): \(referrers.index.object)")
                #expect(referrers.index.objects("manifests").count == (arch == "amd64" ? 4 : 3), "\(arch): \(referrers.index.object)")

                // Without a key the provenance is the bare in-toto statement.
                let (digest, statement) = try await fetchArtifact(
                    reader, subject: subject, artifactType: AttestationTypes.inToto, layerType: AttestationTypes.inToto)
                provenance[arch] = digest
                let file = try writeFile(statement, "\(arch).intoto.json", in: scratch)
                let source = try #require(sources[arch])
                let agent = try #require(agents[arch])
                try await Verifier.accepts(["statement", file, "--subject", subject, "--dependency", source, "--dependency", agent])
                try await Verifier.rejects(["statement", file, "--subject", subject, "--dependency", image.rootDigest])
            }
            AttestationSBOMTests.expectAttachments(second, image: image, artifactType: AttestationTypes.cycloneDX, digests: cyclonedx)
            AttestationSBOMTests.expectAttachments(second, image: image, artifactType: AttestationTypes.inToto, digests: provenance)
            AttestationSBOMTests.expectAttachments(second, image: image, artifactType: AttestationTypes.spdx, digests: spdx)
            #expect(
                (second["attachments"] as? [[String: Any]] ?? []).count == 6, "this run attached three documents to each of two manifests")
            #expect(try await reader.manifest(foreign) != nil, "the other tool's artifact is still there")
            #expect(!Set(try await reader.tags()).contains { $0.hasSuffix(".sig") }, "nothing is signed without --sign-key")
        }
    }

    /// Pushes an artifact about `subject` (as another tool would) and a fallback index listing it;
    /// returns the artifact's manifest digest.
    static func pushForeignReferrer(_ reader: RegistryReader, subject: String, in scratch: TempDirectory) async throws -> String {
        let subjectSize = try await reader.requireManifest(subject).count
        let document = Data(#"{"verdict":"approved"}"#.utf8)
        try await reader.pushBlob(document, in: scratch)
        try await reader.pushBlob(Data("{}".utf8), in: scratch)
        let manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaTypes.ociManifest, "artifactType": foreignType,
            "config": ["mediaType": AttestationTypes.empty, "digest": AttestationTypes.emptyDigest, "size": 2],
            "layers": [["mediaType": "application/json", "digest": sha256Digest(document), "size": document.count]],
            "subject": ["mediaType": MediaTypes.ociManifest, "digest": subject, "size": subjectSize],
        ]
        let manifestData = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        let digest = sha256Digest(manifestData)
        try await reader.pushManifest(manifestData, mediaType: MediaTypes.ociManifest, reference: digest, in: scratch)
        let index: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaTypes.ociIndex,
            "manifests": [
                [
                    "mediaType": MediaTypes.ociManifest, "digest": digest, "size": manifestData.count, "artifactType": foreignType,
                    "annotations": ["org.example.reviewer": "tests"],
                ]
            ],
        ]
        let tag = subject.replacingOccurrences(of: ":", with: "-")
        try await reader.pushManifest(
            try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys]), mediaType: MediaTypes.ociIndex, reference: tag,
            in: scratch)
        return digest
    }
}

extension RegistryReader {
    /// Uploads a blob with curl (POST, then PUT with the digest).
    func pushBlob(_ data: Data, in scratch: TempDirectory) async throws {
        let start = try await ProcessRunner.check(
            "curl", ["-sS", "-f", "-X", "POST", "-D", "-", "-o", "/dev/null", "\(registry.url)/v2/\(repository)/blobs/uploads/"])
        // Header lines end in CRLF, which Swift reads as one Character: split on the scalars.
        let lines = start.stdoutText.unicodeScalars.split { $0 == "\r" || $0 == "\n" }.map { String(String.UnicodeScalarView($0)) }
        let header = try #require(lines.first { $0.lowercased().hasPrefix("location:") })
        var location = header.dropFirst("location:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        if location.hasPrefix("/") { location = registry.url + location }
        let file = try writeFile(data, "blob-\(UUID().uuidString.prefix(8))", in: scratch)
        let separator = location.contains("?") ? "&" : "?"
        try await ProcessRunner.check(
            "curl",
            [
                "-sS", "-f", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", "@\(file)",
                "\(location)\(separator)digest=\(sha256Digest(data))",
            ])
    }

    func pushManifest(_ data: Data, mediaType: String, reference: String, in scratch: TempDirectory) async throws {
        let file = try writeFile(data, "manifest-\(UUID().uuidString.prefix(8))", in: scratch)
        try await ProcessRunner.check(
            "curl",
            [
                "-sS", "-f", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@\(file)",
                "\(registry.url)/v2/\(repository)/manifests/\(reference)",
            ])
    }
}
