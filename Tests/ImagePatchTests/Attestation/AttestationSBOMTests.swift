import Foundation
import Testing

/// `patch --sbom` on the real registry: the SBOM of each platform manifest is found through the
/// fallback tag, validated by spdx-tools / cyclonedx-python-lib, and compared with the files of the
/// agent layer that was pushed.
@Suite("Attestation: SBOMs on the registry")
struct AttestationSBOMTests {
    /// The `attachments` of `--json` list one entry of `artifactType` per platform manifest, found by the tag.
    static func expectAttachments(
        _ result: [String: Any], image: PatchedRegistryImage, artifactType: String, digests: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let entries = (result["attachments"] as? [[String: Any]] ?? []).filter { $0["artifactType"] as? String == artifactType }
        #expect(
            entries.count == image.platforms.count, "one \(artifactType) attachment per platform: \(result["attachments"] ?? "none")",
            sourceLocation: sourceLocation)
        for entry in image.root.objects("manifests") {
            let platform = entry["platform"] as? [String: Any] ?? [:]
            let name = [platform["os"], platform["architecture"], platform["variant"]].compactMap { $0 as? String }.joined(separator: "/")
            let subject = entry["digest"] as? String ?? ""
            let arch = platform["architecture"] as? String ?? ""
            let reported = entries.first { $0["subject"] as? String == subject }
            #expect(reported != nil, "no \(artifactType) attachment for \(name)", sourceLocation: sourceLocation)
            guard let reported else { continue }
            #expect(reported["platform"] as? String == name, "\(reported)", sourceLocation: sourceLocation)
            #expect(reported["mediaType"] as? String == MediaTypes.ociManifest, sourceLocation: sourceLocation)
            #expect(
                reported["digest"] as? String == digests[arch], "the artifact the registry holds: \(reported)",
                sourceLocation: sourceLocation)
            #expect(reported["referrers"] as? String == "tag", "registry 2.8 has no referrers API", sourceLocation: sourceLocation)
            #expect(reported["tag"] as? String == subject.replacingOccurrences(of: ":", with: "-"), sourceLocation: sourceLocation)
        }
    }

    /// Patches `app:1` into a new repository with `flags` and returns the result and the image.
    static func patch(_ flags: [String], label: String) async throws -> (result: [String: Any], image: PatchedRegistryImage) {
        let registry = try await SharedRegistry.shared.plain()
        let reader = RegistryReader(registry: registry, repository: uniqueRepository(label))
        let run = try await ImagePatchCLI.patch(
            source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: "\(reader.name):1", json: true, extra: flags)
        guard run.succeeded else { throw CommandFailed(result: run) }
        return (try Oracles.jsonObject(run.stdout), try await PatchedRegistryImage.read(reader, tag: "1"))
    }

    @Test("--sbom: an SPDX 2.3 document per platform manifest, valid, listing exactly the agent layer's files")
    func spdx() async throws {
        let (result, image) = try await Self.patch(["--sbom"], label: "sbom-spdx")
        try await TempDirectory.with("sbom-spdx") { scratch in
            var artifacts: [String: String] = [:]
            for (arch, subject) in image.platforms.sorted(by: { $0.key < $1.key }) {
                let (digest, document) = try await fetchArtifact(
                    image.reader, subject: subject, artifactType: AttestationTypes.spdx, layerType: AttestationTypes.spdx)
                artifacts[arch] = digest
                #expect(try await FallbackReferrers.read(image.reader, subject: subject).entries(AttestationTypes.cycloneDX).isEmpty)
                let file = try writeFile(document, "\(arch).spdx.json", in: scratch)
                let layer = scratch.appending("\(arch)-agent-layer")
                try await image.writeAgentLayer(subject, to: layer)
                try await Verifier.accepts(["spdx", file, "--layer", layer])

                // File names are the image paths written "./opt/...": one form, checked by the verifier, seen here too.
                let names = (try JSONDoc(document).objects("files")).compactMap { $0["fileName"] as? String }
                #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("./") && !$0.hasPrefix("./.") }, "\(names.prefix(5))")

                // The verifier can fail: a changed checksum, and a document that is not valid SPDX.
                var changed = try JSONDoc(document).object
                var files = changed["files"] as? [[String: Any]] ?? []
                try #require(!files.isEmpty)
                files[0]["checksums"] = (files[0]["checksums"] as? [[String: Any]] ?? []).map { checksum in
                    var checksum = checksum
                    if checksum["algorithm"] as? String == "SHA256" { checksum["checksumValue"] = String(repeating: "0", count: 64) }
                    return checksum
                }
                changed["files"] = files
                let changedFile = try writeFile(
                    try JSONSerialization.data(withJSONObject: changed), "\(arch)-changed.spdx.json", in: scratch)
                try await Verifier.rejects(["spdx", changedFile, "--layer", layer])
                var invalid = try JSONDoc(document).object
                invalid["dataLicense"] = "MIT"
                let invalidFile = try writeFile(
                    try JSONSerialization.data(withJSONObject: invalid), "\(arch)-invalid.spdx.json", in: scratch)
                try await Verifier.rejects(["spdx", invalidFile])
            }
            Self.expectAttachments(result, image: image, artifactType: AttestationTypes.spdx, digests: artifacts)
        }
    }

    @Test("--sbom-format cyclonedx: a CycloneDX 1.5 document per platform manifest, valid, listing exactly the agent layer's files")
    func cycloneDX() async throws {
        let (result, image) = try await Self.patch(["--sbom-format", "cyclonedx"], label: "sbom-cdx")
        try await TempDirectory.with("sbom-cdx") { scratch in
            var artifacts: [String: String] = [:]
            for (arch, subject) in image.platforms.sorted(by: { $0.key < $1.key }) {
                let (digest, document) = try await fetchArtifact(
                    image.reader, subject: subject, artifactType: AttestationTypes.cycloneDX, layerType: AttestationTypes.cycloneDX)
                artifacts[arch] = digest
                #expect(try await FallbackReferrers.read(image.reader, subject: subject).entries(AttestationTypes.spdx).isEmpty)
                let file = try writeFile(document, "\(arch).cdx.json", in: scratch)
                let layer = scratch.appending("\(arch)-agent-layer")
                try await image.writeAgentLayer(subject, to: layer)
                try await Verifier.accepts(["cyclonedx", file, "--layer", layer])

                // The verifier can fail: a hash of another content, and a hash algorithm the schema does not know.
                var changed = try JSONDoc(document).object
                var components = changed["components"] as? [[String: Any]] ?? []
                try #require(!components.isEmpty)
                components[0]["hashes"] = (components[0]["hashes"] as? [[String: Any]] ?? []).map { hash in
                    var hash = hash
                    if hash["alg"] as? String == "SHA-256" { hash["content"] = String(repeating: "0", count: 64) }
                    return hash
                }
                changed["components"] = components
                let changedFile = try writeFile(try JSONSerialization.data(withJSONObject: changed), "\(arch)-changed.json", in: scratch)
                try await Verifier.rejects(["cyclonedx", changedFile, "--layer", layer])
                let text = String(decoding: document, as: UTF8.self)
                let invalid = text.replacingOccurrences(of: "\"SHA-256\"", with: "\"SHA-257\"")
                try await Verifier.rejects(["cyclonedx", try writeFile(Data(invalid.utf8), "\(arch)-invalid.json", in: scratch)])
            }
            Self.expectAttachments(result, image: image, artifactType: AttestationTypes.cycloneDX, digests: artifacts)
        }
    }
}
