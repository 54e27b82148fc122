import Foundation
import Testing

/// `patch --sign-key` on the real registry: the cosign `.sig` tags are read back with curl and each
/// signature is verified by Python's `cryptography` (scripts/testenv/verify-attestations).
@Suite("Attestation: cosign signatures on the registry")
struct AttestationSignatureTests {
    /// One signature layer read back: its payload (in a file) and the base64 signature annotation.
    struct SignatureLayer {
        let payload: String
        let signature: String
    }

    /// The layers under `sha256-<hex>.sig` for `digest`, with their payloads written into `scratch`.
    static func signatureLayers(
        _ reader: RegistryReader, of digest: String, in scratch: TempDirectory,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (manifestDigest: String, layers: [SignatureLayer]) {
        let tag = digest.replacingOccurrences(of: ":", with: "-") + ".sig"
        let data = try await reader.requireManifest(tag, sourceLocation: sourceLocation)
        let manifest = try JSONDoc(data)
        #expect(manifest.string("mediaType") == MediaTypes.ociManifest, sourceLocation: sourceLocation)
        let config = manifest.child("config")
        _ = try await reader.blob(try #require(config["digest"] as? String, sourceLocation: sourceLocation))
        var layers: [SignatureLayer] = []
        for layer in manifest.objects("layers") {
            #expect(layer["mediaType"] as? String == AttestationTypes.simpleSigning, sourceLocation: sourceLocation)
            let annotations = layer["annotations"] as? [String: String] ?? [:]
            let signature = try #require(annotations[AttestationTypes.signatureAnnotation], sourceLocation: sourceLocation)
            let payloadDigest = try #require(layer["digest"] as? String, sourceLocation: sourceLocation)
            let payload = try await reader.blob(payloadDigest)
            #expect(layer["size"] as? Int == payload.count, sourceLocation: sourceLocation)
            let path = try writeFile(payload, "payload-\(UUID().uuidString.prefix(8))", in: scratch)
            layers.append(SignatureLayer(payload: path, signature: signature))
        }
        return (sha256Digest(data), layers)
    }

    /// The verifier accepts `layer` for `digest` of `reader`'s repository with `pub`.
    static func expectVerifies(
        _ layer: SignatureLayer, pub: String, reader: RegistryReader, digest: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await Verifier.accepts(
            [
                "cosign-sig", "--pub", pub, "--payload", layer.payload, "--sig-b64", layer.signature, "--reference", reader.name,
                "--digest", digest,
            ],
            sourceLocation: sourceLocation)
    }

    /// The `signatures` of `--json` name every signed manifest, its tag and the `.sig` manifest now there.
    static func expectReport(
        _ result: [String: Any], image: PatchedRegistryImage, added: Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let entries = result["signatures"] as? [[String: Any]] ?? []
        #expect(
            Set(entries.compactMap { $0["subject"] as? String }) == Set(image.signedDigests) && entries.count == image.signedDigests.count,
            "one signature entry per signed manifest: \(entries)", sourceLocation: sourceLocation)
        for entry in entries {
            let subject = try #require(entry["subject"] as? String, sourceLocation: sourceLocation)
            let tag = subject.replacingOccurrences(of: ":", with: "-") + ".sig"
            #expect(entry["tag"] as? String == tag, sourceLocation: sourceLocation)
            #expect(entry["added"] as? Bool == added, "added: \(entry)", sourceLocation: sourceLocation)
            let manifest = try await image.reader.requireManifest(tag, sourceLocation: sourceLocation)
            #expect(entry["manifest"] as? String == sha256Digest(manifest), sourceLocation: sourceLocation)
        }
    }

    @Test("root and platform manifests are signed, verifiable with the key only; a second key adds a layer, the same key again nothing")
    func signAndAddSigners() async throws {
        let registry = try await SharedRegistry.shared.plain()
        let reader = RegistryReader(registry: registry, repository: uniqueRepository("sig/app"))
        try await TempDirectory.with("sign") { scratch in
            let keys = TestKeys(directory: scratch)
            let first = try await keys.ecdsa("first")
            let second = try await keys.sec1("second")
            let cache = SharedCache(directory: try TempDirectory(label: "sign-cache"))
            defer { cache.directory.remove() }
            func patch(_ key: String) async throws -> [String: Any] {
                let run = try await ImagePatchCLI.patch(
                    source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: "\(reader.name):1", json: true,
                    extra: ["--sign-key", key], environment: cache.environment)
                #expect(run.succeeded, "\(run)")
                return try Oracles.jsonObject(run.stdout)
            }

            let result = try await patch(first.key)
            let image = try await PatchedRegistryImage.read(reader, tag: "1")
            #expect(result["digest"] as? String == image.rootDigest)
            try await Self.expectReport(result, image: image, added: true)
            for digest in image.signedDigests {
                let (_, layers) = try await Self.signatureLayers(reader, of: digest, in: scratch)
                #expect(layers.count == 1, "one signature of \(digest)")
                let layer = try #require(layers.first)
                try await Self.expectVerifies(layer, pub: first.pub, reader: reader, digest: digest)
                // The verifier can fail: another key, one changed payload byte, another digest or repository.
                try await Verifier.rejects(["cosign-sig", "--pub", second.pub, "--payload", layer.payload, "--sig-b64", layer.signature])
                let changed = try writeFile(
                    tampered(try Data(contentsOf: URL(fileURLWithPath: layer.payload))), "changed-\(UUID().uuidString.prefix(8))",
                    in: scratch)
                try await Verifier.rejects(["cosign-sig", "--pub", first.pub, "--payload", changed, "--sig-b64", layer.signature])
                let otherDigest = image.signedDigests.first { $0 != digest }!
                try await Verifier.rejects(
                    ["cosign-sig", "--pub", first.pub, "--payload", layer.payload, "--sig-b64", layer.signature, "--digest", otherDigest])
                try await Verifier.rejects(
                    [
                        "cosign-sig", "--pub", first.pub, "--payload", layer.payload, "--sig-b64", layer.signature, "--reference",
                        "\(registry.host)/app",
                    ])
            }

            // Another signer (a SEC1 key): its layer is added, the first stays.
            let again = try await patch(second.key)
            #expect(again["digest"] as? String == image.rootDigest, "the same inputs give the same image")
            try await Self.expectReport(again, image: image, added: true)
            var sigManifests: [String: String] = [:]
            for digest in image.signedDigests {
                let (manifest, layers) = try await Self.signatureLayers(reader, of: digest, in: scratch)
                sigManifests[digest] = manifest
                #expect(layers.count == 2, "both signatures of \(digest)")
                guard layers.count == 2 else { continue }
                try await Self.expectVerifies(layers[0], pub: first.pub, reader: reader, digest: digest)
                try await Self.expectVerifies(layers[1], pub: second.pub, reader: reader, digest: digest)
                try await Verifier.rejects([
                    "cosign-sig", "--pub", first.pub, "--payload", layers[1].payload, "--sig-b64", layers[1].signature,
                ])
            }

            // The first key once more: nothing new is added and the .sig manifests stay as they were.
            let third = try await patch(first.key)
            try await Self.expectReport(third, image: image, added: false)
            for digest in image.signedDigests {
                let (manifest, layers) = try await Self.signatureLayers(reader, of: digest, in: scratch)
                #expect(layers.count == 2)
                #expect(manifest == sigManifests[digest])
            }
            let tags = Set(try await reader.tags())
            #expect(tags == Set(["1"] + image.signedDigests.map { $0.replacingOccurrences(of: ":", with: "-") + ".sig" }), "\(tags)")

            // A signed source: a notice says so, and nothing of its signatures is copied.
            let copy = RegistryReader(registry: registry, repository: uniqueRepository("from-signed"))
            let fromSigned = try await ImagePatchCLI.patch(
                source: "\(reader.name):1", agent: "\(registry.host)/agent:7", target: "\(copy.name):1", json: true, extra: ["--repatch"],
                environment: cache.environment)
            #expect(fromSigned.succeeded, "\(fromSigned)")
            let notice = fromSigned.stderrLines.filter { $0.contains("notice:") && $0.contains(" is signed") }
            #expect(
                notice.count == 1 && notice.first?.contains("--sign-key") == true,
                "a notice that the source is signed: \(fromSigned.stderrText)")
            #expect(try await copy.tags() == ["1"], "no signature is copied from the source")
        }
    }

    @Test("encrypted keys: PKCS#8 with IMAGEPATCH_SIGN_PASSPHRASE or --sign-passphrase-file (which wins), and cosign's own format")
    func encryptedKey() async throws {
        let registry = try await SharedRegistry.shared.plain()
        try await TempDirectory.with("sign-encrypted") { scratch in
            let passphrase = "correct horse \(UUID().uuidString.prefix(8))"
            let wrong = "wrong-\(UUID().uuidString.prefix(8))"
            let keys = TestKeys(directory: scratch)
            let key = try await keys.encrypted("locked", passphrase: passphrase)
            let cosign = try await keys.cosign("cosign", passphrase: passphrase)
            let cache = SharedCache(directory: try TempDirectory(label: "sign-cache"))
            defer { cache.directory.remove() }
            let cases: [(label: String, pub: String, extra: [String], environment: [String: String?])] = [
                ("variable", key.pub, ["--sign-key", key.key], ["IMAGEPATCH_SIGN_PASSPHRASE": passphrase]),
                (
                    "file", key.pub, ["--sign-key", key.key, "--sign-passphrase-file", key.passphraseFile],
                    ["IMAGEPATCH_SIGN_PASSPHRASE": wrong]
                ),
                ("cosign", cosign.pub, ["--sign-key", cosign.key], ["IMAGEPATCH_SIGN_PASSPHRASE": passphrase]),
            ]
            for (label, pub, extra, environment) in cases {
                let reader = RegistryReader(registry: registry, repository: uniqueRepository("locked-\(label)"))
                let run = try await ImagePatchCLI.patch(
                    source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: "\(reader.name):1", json: true,
                    extra: extra, environment: environment.merging(cache.environment) { $1 })
                #expect(run.succeeded, "\(label): \(run)")
                for secret in [passphrase, wrong] {
                    #expect(!run.stdoutText.contains(secret) && !run.stderrText.contains(secret), "\(label): a passphrase was printed")
                }
                guard run.succeeded else { continue }
                let image = try await PatchedRegistryImage.read(reader, tag: "1")
                for digest in image.signedDigests {
                    let (_, layers) = try await Self.signatureLayers(reader, of: digest, in: scratch)
                    #expect(layers.count == 1, "\(label)")
                    for layer in layers { try await Self.expectVerifies(layer, pub: pub, reader: reader, digest: digest) }
                }
            }
        }
    }
}
