import Foundation
import Testing

/// `patch --provenance --sign-key` on the real registry: a DSSE envelope per platform manifest,
/// verified by securesystemslib, about that manifest, naming the source and agent manifests.
@Suite("Attestation: signed provenance on the registry")
struct AttestationProvenanceTests {
    @Test("--provenance --sign-key: a DSSE envelope per platform manifest, verified with the key only")
    func signedProvenance() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let reader = RegistryReader(registry: registry, repository: uniqueRepository("provenance"))
        let sources = try await platformDigests(registry, "app:1")
        let agents = try await platformDigests(registry, "agent:7")
        try await TempDirectory.with("provenance") { scratch in
            let keys = TestKeys(directory: scratch)
            let key = try await keys.ecdsa("builder")
            let other = try await keys.ecdsa("other")
            let run = try await ImagePatchCLI.patch(
                source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: "\(reader.name):1", json: true,
                extra: ["--provenance", "--sign-key", key.key])
            #expect(run.succeeded, "\(run)")
            let result = try Oracles.jsonObject(run.stdout)
            let image = try await PatchedRegistryImage.read(reader, tag: "1")
            var artifacts: [String: String] = [:]
            for (arch, subject) in image.platforms.sorted(by: { $0.key < $1.key }) {
                let (digest, document) = try await fetchArtifact(
                    reader, subject: subject, artifactType: AttestationTypes.inToto, layerType: AttestationTypes.dsse)
                artifacts[arch] = digest
                let envelope = try writeFile(document, "\(arch).dsse.json", in: scratch)
                let source = try #require(sources[arch])
                let agent = try #require(agents[arch])
                let expected = ["--subject", subject, "--dependency", source, "--dependency", agent]
                try await Verifier.accepts(["dsse", "--pub", key.pub, "--envelope", envelope] + expected)

                // The verifier can fail: another key, one changed payload byte, another subject.
                try await Verifier.rejects(["dsse", "--pub", other.pub, "--envelope", envelope])
                var changed = try JSONDoc(document).object
                let payload = try #require(Data(base64Encoded: changed["payload"] as? String ?? ""))
                changed["payload"] = tampered(payload).base64EncodedString()
                let changedFile = try writeFile(try JSONSerialization.data(withJSONObject: changed), "\(arch)-changed.json", in: scratch)
                try await Verifier.rejects(["dsse", "--pub", key.pub, "--envelope", changedFile])
                try await Verifier.rejects(["dsse", "--pub", key.pub, "--envelope", envelope, "--subject", image.rootDigest])
            }
            AttestationSBOMTests.expectAttachments(result, image: image, artifactType: AttestationTypes.inToto, digests: artifacts)
            // The key signs the image too.
            for digest in image.signedDigests {
                let (_, layers) = try await AttestationSignatureTests.signatureLayers(reader, of: digest, in: scratch)
                #expect(layers.count == 1)
                for layer in layers {
                    try await AttestationSignatureTests.expectVerifies(layer, pub: key.pub, reader: reader, digest: digest)
                }
            }
        }
    }
}
