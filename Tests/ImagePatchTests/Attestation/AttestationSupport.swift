import Foundation
import Testing

/// Media types and constants of the signature and artifact formats, spelled out from the specs
/// (cosign simple signing, OCI 1.1 artifacts, DSSE, SPDX, CycloneDX) rather than taken from Sources.
enum AttestationTypes {
    static let simpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
    static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    static let spdx = "application/spdx+json"
    static let cycloneDX = "application/vnd.cyclonedx+json"
    static let inToto = "application/vnd.in-toto+json"
    static let dsse = "application/vnd.dsse.envelope.v1+json"
    static let empty = "application/vnd.oci.empty.v1+json"
    static let emptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
}

/// Keys made with `openssl` for one test, in its own directory.
struct TestKeys {
    let directory: TempDirectory

    /// A P-256 key as PEM PKCS#8 ("PRIVATE KEY"); returns (private key path, public key path).
    func ecdsa(_ name: String) async throws -> (key: String, pub: String) {
        let key = directory.appending("\(name).key")
        try await ProcessRunner.check(
            "openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        return (key, try await publicKey(of: key, name))
    }

    /// A P-256 key in SEC1 form ("EC PRIVATE KEY").
    func sec1(_ name: String) async throws -> (key: String, pub: String) {
        let key = directory.appending("\(name).key")
        try await ProcessRunner.check("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
        #expect(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        return (key, try await publicKey(of: key, name))
    }

    /// A P-256 key as encrypted PKCS#8 (AES-256-CBC, PBKDF2) under `passphrase`; also returns the
    /// passphrase file openssl read (the passphrase and a newline).
    func encrypted(_ name: String, passphrase: String) async throws -> (key: String, pub: String, passphraseFile: String) {
        let (plain, pub) = try await ecdsa(name + "-plain")
        let file = directory.appending("\(name).pass")
        try Data((passphrase + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let key = directory.appending("\(name).key")
        try await ProcessRunner.check(
            "openssl", ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", plain, "-out", key, "-passout", "file:\(file)"])
        try FileManager.default.removeItem(atPath: plain)
        #expect(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        return (key, pub, file)
    }

    /// A P-256 key as cosign writes it ("ENCRYPTED SIGSTORE PRIVATE KEY"), made by the verifier script.
    func cosign(_ name: String, passphrase: String) async throws -> (key: String, pub: String) {
        let (plain, pub) = try await ecdsa(name + "-plain")
        let file = directory.appending("\(name).cosign-pass")
        try Data((passphrase + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let key = directory.appending("\(name).cosign.key")
        try await ProcessRunner.check(Verifier.script, ["make-cosign-key", "--key", plain, "--passphrase-file", file, "--out", key])
        try FileManager.default.removeItem(atPath: plain)
        try FileManager.default.removeItem(atPath: file)
        return (key, pub)
    }

    /// An RSA key as PEM PKCS#8.
    func rsa(_ name: String) async throws -> String {
        let key = directory.appending("\(name).key")
        try await ProcessRunner.check("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
        return key
    }

    private func publicKey(of key: String, _ name: String) async throws -> String {
        let pub = directory.appending("\(name).pub")
        try await ProcessRunner.check("openssl", ["pkey", "-in", key, "-pubout", "-out", pub])
        return pub
    }
}

/// The registry read over plain HTTP with curl (the shared test registry listens on loopback
/// without TLS), so the checks do not go through imagepatch's registry client.
struct RegistryReader {
    let registry: RegistryServer
    let repository: String

    static let accept = [
        MediaTypes.ociIndex, MediaTypes.ociManifest, MediaTypes.dockerList, MediaTypes.dockerManifest,
    ].joined(separator: ", ")

    /// `HOST/REPO`, as signatures and provenance name the image.
    var name: String { "\(registry.host)/\(repository)" }

    /// The manifest bytes for a tag or digest, or nil on 404.
    func manifest(_ reference: String) async throws -> Data? {
        try await get("manifests/\(reference)", accept: Self.accept)
    }

    func requireManifest(_ reference: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Data {
        try #require(try await manifest(reference), "no manifest \(name):\(reference)", sourceLocation: sourceLocation)
    }

    func blob(_ digest: String) async throws -> Data {
        let data = try #require(try await get("blobs/\(digest)", accept: nil), "no blob \(digest) in \(name)")
        #expect(sha256Digest(data) == digest, "blob \(digest) has other bytes")
        return data
    }

    /// The repository's tags (empty when the repository does not exist).
    func tags() async throws -> [String] {
        guard let data = try await get("tags/list", accept: nil) else { return [] }
        return (try Oracles.jsonObject(data)["tags"] as? [String]) ?? []
    }

    private func get(_ path: String, accept: String?) async throws -> Data? {
        var arguments = ["-sS", "-w", "\n%{http_code}"]
        if let accept { arguments += ["-H", "Accept: \(accept)"] }
        let result = try await ProcessRunner.check("curl", arguments + ["\(registry.url)/v2/\(repository)/\(path)"])
        var body = result.stdout
        let newline = try #require(body.lastIndex(of: UInt8(ascii: "\n")))
        let status = Int(String(decoding: body[(newline + 1)...], as: UTF8.self))
        body = body[..<newline]
        if status == 404 { return nil }
        guard status == 200 else {
            throw LayoutProblem(description: "GET \(path): HTTP \(status ?? -1): \(String(decoding: body, as: UTF8.self))")
        }
        return Data(body)
    }
}

/// `scripts/testenv/verify-attestations`: the third-party verifiers (cryptography, securesystemslib,
/// spdx-tools, cyclonedx-python-lib).
enum Verifier {
    static var script: String { RepositoryPaths.root + "/scripts/testenv/verify-attestations" }

    static func run(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(script, arguments)
    }

    /// The verifier accepts: its output is part of the failure message otherwise.
    static func accepts(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await run(arguments)
        #expect(result.succeeded, "the verifier rejects it: \(result)", sourceLocation: sourceLocation)
    }

    /// The verifier rejects (exit 1 with a FAIL line), e.g. tampered input or another key.
    static func rejects(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await run(arguments)
        #expect(result.exitCode == 1, "the verifier should reject it: \(result)", sourceLocation: sourceLocation)
        #expect(result.stderrText.hasPrefix("FAIL: "), "\(result)", sourceLocation: sourceLocation)
    }
}

/// A document of the registry as a JSON object, with small accessors.
struct JSONDoc {
    let object: [String: Any]
    init(_ data: Data) throws { object = try Oracles.jsonObject(data) }

    subscript(key: String) -> Any? { object[key] }
    func string(_ key: String) -> String? { object[key] as? String }
    func objects(_ key: String) -> [[String: Any]] { object[key] as? [[String: Any]] ?? [] }
    func child(_ key: String) -> [String: Any] { object[key] as? [String: Any] ?? [:] }
}

/// What a patched registry image is made of, read back with curl: the root and, per architecture,
/// the platform manifest digest and its agent layer (the last layer).
struct PatchedRegistryImage {
    let reader: RegistryReader
    let rootDigest: String
    let root: JSONDoc
    /// Architecture -> platform manifest digest.
    let platforms: [String: String]

    static func read(_ reader: RegistryReader, tag: String) async throws -> PatchedRegistryImage {
        let data = try await reader.requireManifest(tag)
        let root = try JSONDoc(data)
        var platforms: [String: String] = [:]
        for entry in root.objects("manifests") {
            let platform = entry["platform"] as? [String: Any] ?? [:]
            platforms[platform["architecture"] as? String ?? "?"] = entry["digest"] as? String
        }
        #expect(Set(platforms.keys) == ["amd64", "arm64"], "the patched image is the two-platform app: \(root.object)")
        return PatchedRegistryImage(reader: reader, rootDigest: sha256Digest(data), root: root, platforms: platforms)
    }

    /// Every manifest that gets a signature: the root and each platform manifest.
    var signedDigests: [String] { [rootDigest] + platforms.values.sorted() }

    /// Writes the agent layer (the last layer) of a platform manifest to `path`.
    func writeAgentLayer(_ platformDigest: String, to path: String) async throws {
        let manifest = try JSONDoc(try await reader.requireManifest(platformDigest))
        let last = try #require(manifest.objects("layers").last?["digest"] as? String)
        try await reader.blob(last).write(to: URL(fileURLWithPath: path))
    }
}

/// The referrers of a platform manifest, found through the tag schema's fallback tag.
struct FallbackReferrers {
    let tag: String
    let index: JSONDoc

    static func read(_ reader: RegistryReader, subject: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> FallbackReferrers
    {
        let tag = subject.replacingOccurrences(of: ":", with: "-")
        let index = try JSONDoc(try await reader.requireManifest(tag, sourceLocation: sourceLocation))
        #expect(index.string("mediaType") == MediaTypes.ociIndex, "the fallback tag holds an OCI index", sourceLocation: sourceLocation)
        return FallbackReferrers(tag: tag, index: index)
    }

    func entries(_ artifactType: String) -> [[String: Any]] {
        index.objects("manifests").filter { $0["artifactType"] as? String == artifactType }
    }

    var digests: Set<String> { Set(index.objects("manifests").compactMap { $0["digest"] as? String }) }
}

/// Fetches the one artifact of `artifactType` that refers to `subject`, checks its manifest is an OCI
/// 1.1 artifact of that subject (artifactType, empty config, one layer of `layerType`), and returns
/// the artifact manifest digest and its document.
func fetchArtifact(
    _ reader: RegistryReader, subject: String, artifactType: String, layerType: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> (digest: String, document: Data) {
    let referrers = try await FallbackReferrers.read(reader, subject: subject, sourceLocation: sourceLocation)
    let entries = referrers.entries(artifactType)
    #expect(entries.count == 1, "one \(artifactType) referrer of \(subject): \(referrers.index.object)", sourceLocation: sourceLocation)
    let entry = try #require(entries.first, sourceLocation: sourceLocation)
    #expect(entry["mediaType"] as? String == MediaTypes.ociManifest, sourceLocation: sourceLocation)
    let digest = try #require(entry["digest"] as? String, sourceLocation: sourceLocation)
    let data = try await reader.requireManifest(digest, sourceLocation: sourceLocation)
    #expect(entry["size"] as? Int == data.count, "the index entry's size", sourceLocation: sourceLocation)
    let manifest = try JSONDoc(data)
    #expect(manifest.string("mediaType") == MediaTypes.ociManifest, sourceLocation: sourceLocation)
    #expect(manifest.string("artifactType") == artifactType, sourceLocation: sourceLocation)
    let config = manifest.child("config")
    #expect(config["mediaType"] as? String == AttestationTypes.empty, sourceLocation: sourceLocation)
    #expect(config["digest"] as? String == AttestationTypes.emptyDigest, sourceLocation: sourceLocation)
    #expect(config["size"] as? Int == 2, sourceLocation: sourceLocation)
    #expect(String(decoding: try await reader.blob(AttestationTypes.emptyDigest), as: UTF8.self) == "{}")
    let subjectDescriptor = manifest.child("subject")
    let subjectManifest = try await reader.requireManifest(subject, sourceLocation: sourceLocation)
    #expect(subjectDescriptor["digest"] as? String == subject, sourceLocation: sourceLocation)
    #expect(subjectDescriptor["mediaType"] as? String == MediaTypes.ociManifest, sourceLocation: sourceLocation)
    #expect(subjectDescriptor["size"] as? Int == subjectManifest.count, sourceLocation: sourceLocation)
    let layers = manifest.objects("layers")
    #expect(layers.count == 1, "one document layer: \(manifest.object)", sourceLocation: sourceLocation)
    let layer = try #require(layers.first, sourceLocation: sourceLocation)
    #expect(layer["mediaType"] as? String == layerType, sourceLocation: sourceLocation)
    let document = try await reader.blob(try #require(layer["digest"] as? String, sourceLocation: sourceLocation))
    #expect(layer["size"] as? Int == document.count, sourceLocation: sourceLocation)
    return (digest, document)
}

/// Writes `data` to a file in `directory` and returns its path.
func writeFile(_ data: Data, _ name: String, in directory: TempDirectory) throws -> String {
    let path = directory.appending(name)
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

/// `data` with one byte changed (inside the payload, not its framing: a letter becomes another).
func tampered(_ data: Data) -> Data {
    var bytes = [UInt8](data)
    let index = bytes.lastIndex { (0x61...0x79).contains($0) } ?? 0
    bytes[index] &+= 1
    return Data(bytes)
}

/// The platform manifest digests of a source image tag in the shared registry, by architecture.
func platformDigests(_ registry: RegistryServer, _ repositoryTag: String) async throws -> [String: String] {
    let index = try JSONDoc(try #require(try await registry.rawManifest(repositoryTag)))
    var digests: [String: String] = [:]
    for entry in index.objects("manifests") {
        let platform = entry["platform"] as? [String: Any] ?? [:]
        digests[platform["architecture"] as? String ?? "?"] = entry["digest"] as? String
    }
    return digests
}

/// One agent-layer cache for the runs of one test: the layer is built once, later runs reuse it.
struct SharedCache {
    let directory: TempDirectory
    var environment: [String: String?] { ["XDG_CACHE_HOME": directory.path] }
}
