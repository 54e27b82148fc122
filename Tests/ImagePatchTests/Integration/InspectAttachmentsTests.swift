import Foundation
import Testing

/// `inspect` lists the cosign signatures and the referrers (SBOMs, provenance) beside each platform
/// image. The registry (distribution 2.8) has no referrers API, so referrers are found under the
/// fallback tag; signatures and artifacts are written here by hand, with curl, as cosign and oras would.
@Suite("inspect: signatures and referrers")
struct InspectAttachmentsTests {
    static let spdx = "application/spdx+json"

    @Test("signatures of the index and a platform, and a platform's referrers, in text and JSON")
    func signedImageWithReferrers() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let image = try await HandMadeAttachments.pushApp(to: registry, repository: uniqueRepository("inspect-signed"))
        let amd64 = try #require(image.platforms["linux/amd64"])
        let arm64 = try #require(image.platforms["linux/arm64/v8"])
        let rootSignature = try await image.putSignature(of: image.root, payloads: 1)
        let amd64Signature = try await image.putSignature(of: amd64, payloads: 2)
        let sbom = try await image.putArtifact(artifactType: Self.spdx, subject: amd64)
        let fallbackTag = try await image.putFallbackIndex(of: amd64, listing: [(sbom, Self.spdx)])

        let report = try await ImagePatchCLI.inspectJSON(image.reference)
        let rootSignatures = try #require(report["signatures"] as? [String: Any], "\(report)")
        #expect(rootSignatures["tag"] as? String == HandMadeAttachments.signatureTag(image.root))
        #expect(rootSignatures["manifest"] as? String == rootSignature)
        #expect(rootSignatures["count"] as? Int == 1)
        let platforms = try #require(report["platforms"] as? [[String: Any]])
        let amd64Entry = try #require(platforms.first { $0["digest"] as? String == amd64 })
        let signatures = try #require(amd64Entry["signatures"] as? [String: Any], "\(amd64Entry)")
        #expect(signatures["tag"] as? String == HandMadeAttachments.signatureTag(amd64))
        #expect(signatures["manifest"] as? String == amd64Signature)
        #expect(signatures["count"] as? Int == 2)
        let referrers = try #require(amd64Entry["referrers"] as? [[String: Any]])
        #expect(referrers.count == 1)
        #expect(referrers.first?["artifactType"] as? String == Self.spdx)
        #expect(referrers.first?["digest"] as? String == sbom)
        #expect(referrers.first?["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect(referrers.first?["via"] as? String == "tag")
        #expect(referrers.first?["tag"] as? String == fallbackTag)
        let arm64Entry = try #require(platforms.first { $0["digest"] as? String == arm64 })
        #expect(arm64Entry["signatures"] is NSNull, "\(arm64Entry)")
        #expect((arm64Entry["referrers"] as? [Any])?.isEmpty == true, "\(arm64Entry)")

        let text = try await ImagePatchCLI.run(["inspect", image.reference])
        #expect(text.succeeded, "\(text)")
        let lines = text.stdoutLines
        #expect(lines.contains("  Signatures: 1 (\(HandMadeAttachments.signatureTag(image.root)))"), "\(text)")
        let amd64Block = try Self.block(of: amd64, in: lines)
        #expect(amd64Block.contains("  Signatures: 2 (\(HandMadeAttachments.signatureTag(amd64)))"), "\(amd64Block)")
        let referrersLine = try #require(amd64Block.firstIndex(of: "  Referrers:"), "\(amd64Block)")
        #expect(amd64Block.dropFirst(referrersLine + 1).first == "    \(Self.spdx)  \(sbom)  via tag", "\(amd64Block)")
        let arm64Block = try Self.block(of: arm64, in: lines)
        #expect(arm64Block.contains("  Signatures: none"), "\(arm64Block)")
        #expect(arm64Block.contains("  Referrers:  none"), "\(arm64Block)")
        // The fixture's index holds a BuildKit attestation too, which inspect skips with a notice of its own.
        #expect(text.stderrLines.filter { !$0.isEmpty && !$0.contains("an attestation, not an image") }.isEmpty, "\(text)")
    }

    @Test("a malformed fallback index is one notice naming its tag; the rest is still listed")
    func malformedFallbackIndex() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let image = try await HandMadeAttachments.pushApp(to: registry, repository: uniqueRepository("inspect-malformed"))
        let amd64 = try #require(image.platforms["linux/amd64"])
        let arm64 = try #require(image.platforms["linux/arm64/v8"])
        let signature = try await image.putSignature(of: arm64, payloads: 1)
        let sbom = try await image.putArtifact(artifactType: Self.spdx, subject: arm64)
        _ = try await image.putFallbackIndex(of: arm64, listing: [(sbom, Self.spdx)])
        // The registry ignores a field it does not know, however deep; inspect's parser refuses it.
        let artifact = try await image.putArtifact(artifactType: Self.spdx, subject: amd64)
        let badTag = try await image.putFallbackIndex(
            of: amd64, listing: [(artifact, Self.spdx)],
            extra: #""deep": "# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + ",")

        for json in [true, false] {
            let run = try await ImagePatchCLI.run(["inspect"] + (json ? ["--json"] : []) + [image.reference])
            #expect(run.succeeded, "\(run)")
            let notices = run.stderrLines.filter { $0.contains(badTag) }
            #expect(notices.count == 1, "\(run)")
            #expect(notices.first?.hasPrefix("imagepatch: notice: ") == true, "\(run)")
            #expect(notices.first?.contains("malformed") == true, "\(run)")
            let others = run.stderrLines.filter { !$0.isEmpty && !$0.contains("an attestation, not an image") }
            #expect(others == notices, "\(run)")
            if json {
                let report = try Oracles.jsonObject(run.stdout)
                let platforms = try #require(report["platforms"] as? [[String: Any]])
                let amd64Entry = try #require(platforms.first { $0["digest"] as? String == amd64 })
                #expect((amd64Entry["referrers"] as? [Any])?.isEmpty == true, "\(amd64Entry)")
                let arm64Entry = try #require(platforms.first { $0["digest"] as? String == arm64 })
                #expect((arm64Entry["signatures"] as? [String: Any])?["manifest"] as? String == signature, "\(arm64Entry)")
                let referrers = try #require(arm64Entry["referrers"] as? [[String: Any]])
                #expect(referrers.map { $0["digest"] as? String } == [sbom])
            } else {
                let arm64Block = try Self.block(of: arm64, in: run.stdoutLines)
                #expect(arm64Block.contains("    \(Self.spdx)  \(sbom)  via tag"), "\(arm64Block)")
                #expect(try Self.block(of: amd64, in: run.stdoutLines).contains("  Referrers:  none"), "\(run)")
            }
        }
    }

    @Test("what patch --sign-key --sbom --provenance publishes, inspect lists")
    func patchedAndSigned() async throws {
        let registry = try await SharedRegistry.shared.plain()
        try await TempDirectory.with("inspect-signed-patch") { scratch in
            let key = scratch.appending("key.pem")
            try await ProcessRunner.check("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
            let target = "\(registry.host)/\(uniqueRepository("inspect-patched")):1"
            let run = try await ImagePatchCLI.patchOrThrow(
                source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: target, json: true,
                extra: ["--sign-key", key, "--sbom", "--provenance"])
            let patch = try Oracles.jsonObject(run.stdout)
            let signed = try #require(patch["signatures"] as? [[String: Any]], "\(patch)")
            let attached = try #require(patch["attachments"] as? [[String: Any]], "\(patch)")

            let report = try await ImagePatchCLI.inspectJSON(target)
            let root = try #require(report["digest"] as? String)
            let rootSignatures = try #require(report["signatures"] as? [String: Any], "\(report)")
            #expect(rootSignatures["count"] as? Int == 1)
            #expect(rootSignatures["manifest"] as? String == signed.first { $0["subject"] as? String == root }?["manifest"] as? String)
            let platforms = try #require(report["platforms"] as? [[String: Any]])
            #expect(platforms.count == 2)
            for entry in platforms {
                let digest = try #require(entry["digest"] as? String)
                let signatures = try #require(entry["signatures"] as? [String: Any], "\(entry)")
                #expect(signatures["count"] as? Int == 1)
                #expect(signatures["manifest"] as? String == signed.first { $0["subject"] as? String == digest }?["manifest"] as? String)
                let listed = (entry["referrers"] as? [[String: Any]] ?? []).map { "\($0["digest"] ?? "") \($0["artifactType"] ?? "")" }
                let expected = attached.filter { $0["subject"] as? String == digest }.map {
                    "\($0["digest"] ?? "") \($0["artifactType"] ?? "")"
                }
                #expect(expected.count == 2, "an SBOM and a provenance statement: \(patch)")
                #expect(Set(listed) == Set(expected), "\(entry)")
            }
        }
    }

    @Test("a registry image without any: signatures null and referrers [], Signatures: none")
    func registryImageWithoutAttachments() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let reference = "\(registry.host)/app:1"
        let report = try await ImagePatchCLI.inspectJSON(reference)
        #expect(report["signatures"] is NSNull, "\(report)")
        #expect((report["referrers"] as? [Any])?.isEmpty == true, "\(report)")
        let platforms = try #require(report["platforms"] as? [[String: Any]])
        #expect(platforms.count == 2)
        for entry in platforms {
            #expect(entry["signatures"] is NSNull, "\(entry)")
            #expect((entry["referrers"] as? [Any])?.isEmpty == true, "\(entry)")
        }
        let text = try await ImagePatchCLI.run(["inspect", reference])
        #expect(text.succeeded, "\(text)")
        // The index's own lines, then each platform's.
        #expect(text.stdoutLines.filter { $0 == "  Signatures: none" }.count == 3, "\(text)")
        #expect(text.stdoutLines.filter { $0 == "  Referrers:  none" }.count == 3, "\(text)")
    }

    @Test("a local layout has no attachments: JSON null and [], no new text lines")
    func localLayout() async throws {
        let fixtures = try await Fixtures.ready()
        let reference = fixtures.oci("app-oci", "1")
        let report = try await ImagePatchCLI.inspectJSON(reference)
        #expect(report["signatures"] is NSNull, "\(report)")
        #expect((report["referrers"] as? [Any])?.isEmpty == true, "\(report)")
        for entry in try #require(report["platforms"] as? [[String: Any]]) {
            #expect(entry["signatures"] is NSNull, "\(entry)")
            #expect((entry["referrers"] as? [Any])?.isEmpty == true, "\(entry)")
        }
        let text = try await ImagePatchCLI.run(["inspect", reference])
        #expect(text.succeeded, "\(text)")
        #expect(!text.stdoutText.contains("Signatures:") && !text.stdoutText.contains("Referrers:"), "\(text)")
    }

    /// The text lines of one platform, from its `<platform>  <digest>` line to the next blank line.
    static func block(of digest: String, in lines: [String]) throws -> [String] {
        let start = try #require(lines.firstIndex { $0.hasSuffix("  \(digest)") && !$0.hasPrefix(" ") }, "\(lines)")
        let rest = lines[(start + 1)...]
        return Array(rest.prefix { !$0.isEmpty })
    }
}

/// The app fixture in a repository of its own, with signatures and artifacts PUT beside it by hand.
struct HandMadeAttachments {
    let registry: RegistryServer
    let repository: String
    let root: String
    /// Platform key ("linux/amd64") to manifest digest.
    let platforms: [String: String]

    var reference: String { "\(registry.host)/\(repository):1" }

    static func signatureTag(_ digest: String) -> String { fallbackTag(digest) + ".sig" }
    static func fallbackTag(_ digest: String) -> String { digest.replacingOccurrences(of: ":", with: "-") }

    static func pushApp(to registry: RegistryServer, repository: String) async throws -> HandMadeAttachments {
        let fixtures = try await Fixtures.ready()
        try await registry.push(layout: fixtures.oci("app-oci", "1"), as: "\(repository):1")
        let raw = try #require(try await registry.rawManifest("\(repository):1"))
        let index = try Oracles.jsonObject(raw)
        var platforms: [String: String] = [:]
        for entry in index["manifests"] as? [[String: Any]] ?? [] {
            guard let platform = entry["platform"] as? [String: Any], let digest = entry["digest"] as? String else { continue }
            let key = ["os", "architecture", "variant"].compactMap { platform[$0] as? String }.joined(separator: "/")
            platforms[key] = digest
        }
        return HandMadeAttachments(registry: registry, repository: repository, root: sha256Digest(raw), platforms: platforms)
    }

    /// A cosign-style `.sig` manifest for `subject` with `payloads` simple-signing layers (the
    /// signatures are not real: inspect counts them, it does not verify them). Returns its digest.
    func putSignature(of subject: String, payloads: Int) async throws -> String {
        var layers: [String] = []
        for number in 0..<payloads {
            let payload = Data(
                #"{"critical":{"identity":{"docker-reference":"\#(registry.host)/\#(repository)"},"image":{"docker-manifest-digest":"\#(subject)"},"type":"cosign container image signature"},"optional":{"n":"\#(number)"}}"#
                    .utf8)
            let digest = try await putBlob(payload)
            layers.append(
                #"{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"\#(digest)","size":\#(payload.count),"annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="}}"#
            )
        }
        let config = Data(#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#.utf8)
        let configDigest = try await putBlob(config)
        let manifest = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[\#(layers.joined(separator: ","))]}"#
                .utf8)
        try await putManifest(manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", reference: Self.signatureTag(subject))
        return sha256Digest(manifest)
    }

    /// An OCI 1.1 artifact manifest (empty config, one document layer) whose subject is the platform
    /// manifest `subject`, pushed by digest. Returns its digest.
    func putArtifact(artifactType: String, subject: String) async throws -> String {
        let empty = Data("{}".utf8)
        let emptyDigest = try await putBlob(empty)
        let document = Data(#"{"spdxVersion":"SPDX-2.3","name":"\#(UUID().uuidString)"}"#.utf8)
        let documentDigest = try await putBlob(document)
        let subjectBytes = try #require(try await registry.rawManifest("\(repository)@\(subject)"))
        let manifest = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"\#(artifactType)","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\#(emptyDigest)","size":2},"layers":[{"mediaType":"\#(artifactType)","digest":"\#(documentDigest)","size":\#(document.count)}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(subject)","size":\#(subjectBytes.count)}}"#
                .utf8)
        let digest = sha256Digest(manifest)
        try await putManifest(manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", reference: digest)
        return digest
    }

    /// The referrers tag schema's index under `sha256-<hex>` of `subject`; `extra` is spliced in as
    /// the first fields of the index. Returns the tag.
    func putFallbackIndex(of subject: String, listing artifacts: [(digest: String, artifactType: String)], extra: String = "")
        async throws -> String
    {
        var entries: [String] = []
        for artifact in artifacts {
            let size = try #require(try await registry.rawManifest("\(repository)@\(artifact.digest)")).count
            entries.append(
                #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(artifact.digest)","size":\#(size),"artifactType":"\#(artifact.artifactType)"}"#
            )
        }
        let index = Data(
            #"{\#(extra)"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#
                .utf8)
        let tag = Self.fallbackTag(subject)
        try await putManifest(index, mediaType: "application/vnd.oci.image.index.v1+json", reference: tag)
        return tag
    }

    /// A blob upload: POST opens the session, PUT with the digest sends the bytes. Returns the digest.
    private func putBlob(_ bytes: Data) async throws -> String {
        let digest = sha256Digest(bytes)
        let session = try await ProcessRunner.check(
            "curl", ["-sSf", "-X", "POST", "-D", "-", "-o", "/dev/null", "\(registry.url)/v2/\(repository)/blobs/uploads/"])
        let location = try #require(
            session.stdoutText.split(whereSeparator: \.isNewline).lazy.compactMap { line -> String? in
                guard line.lowercased().hasPrefix("location:") else { return nil }
                return line.dropFirst("location:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            }.first, "\(session)")
        let absolute = location.hasPrefix("/") ? registry.url + location : location
        let separator = absolute.contains("?") ? "&" : "?"
        try await ProcessRunner.check(
            "curl",
            [
                "-sSf", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", "@-",
                "\(absolute)\(separator)digest=\(digest)",
            ], stdin: bytes)
        return digest
    }

    private func putManifest(_ bytes: Data, mediaType: String, reference: String) async throws {
        try await ProcessRunner.check(
            "curl",
            [
                "-sSf", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@-",
                "\(registry.url)/v2/\(repository)/manifests/\(reference)",
            ], stdin: bytes)
    }
}
