import Glibc
import IOFoundation
import ImagePatch
import JSON
import OCI
import Tar

/// An agent image of one to three small uncompressed tar layers, built into an agent layer as
/// `imagepatch patch` builds it: the tar reader, the union filesystem (whiteouts, opaque
/// directories, links), the agent tree selection and the tar writer. The first input byte picks the
/// settings; the rest is split into layers at `layerSeparator`. Spool and output go to `$TMPDIR`.
///
/// What is built must stay inside the install directory: every name, hard link and symbolic link.
enum AgentLayerHarness {
    static let layerSeparator = Array("\n--layer--\n".utf8)
    static let installDirectory = "opt/agent"

    static func run(_ input: [UInt8]) throws {
        guard let selector = input.first else { return }
        let layers = split(Array(input.dropFirst())).prefix(3)
        let settings = AgentTreeSettings(
            installDirectory: installDirectory,
            agentRoot: selector & 1 == 0 ? "" : "rootfs",
            includes: selector & 2 == 0 ? nil : ["bin", "lib64", "etc/agent.conf"],
            normalizeModes: selector & 4 != 0,
            defaultTime: 0,
            maxUncompressedBytes: 1 << 20)
        let source = MemoryImageSource(blobs: Array(layers))
        let manifest = try source.manifest()
        let config = ImageConfig(
            json: JSONObject([
                ("architecture", .string("amd64")), ("os", .string("linux")),
                (
                    "rootfs",
                    .object(
                        JSONObject([
                            ("type", .string("layers")),
                            ("diff_ids", .array(source.digests.map { .string($0.description) })),
                        ]))
                ),
            ]))
        let layer: AgentLayer
        do {
            layer = try runBlocking {
                try await AgentLayerBuilder(settings: settings).build(agent: manifest, config: config, source: source, format: .oci(.gzip))
            }
        } catch {
            return  // refused with an error: what hostile or broken layers should get
        }
        try checkStaysInside(layer.file)
    }

    /// Reads the built layer back with libarchive and checks every entry and link target.
    private static func checkStaysInside(_ path: String) throws {
        guard let file = fopen(path, "rb") else { throw FuzzPropertyViolation("the built layer \(path) cannot be opened") }
        defer { fclose(file) }
        let reader = try TarReader(
            reading: ClosureReader { buffer in fread(buffer.baseAddress, 1, buffer.count, file) },
            decompressing: true)
        while let entry = try reader.nextEntry() {
            let name = entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
            try require(isInside(components(name)), "the layer has an entry \(entry.path.debugDescription) outside /\(installDirectory)")
            guard let target = entry.linkTarget else { continue }
            switch entry.kind {
            case .hardlink:
                try require(
                    isInside(components(target)),
                    "\(entry.path.debugDescription) is a hard link to \(target.debugDescription), outside /\(installDirectory)")
            case .symlink:
                let resolved = target.hasPrefix("/") ? components(target) : Array(components(name).dropLast()) + components(target)
                try require(
                    isInside(resolved),
                    "\(entry.path.debugDescription) is a symbolic link to \(target.debugDescription), which leads outside /\(installDirectory)"
                )
            default:
                break
            }
        }
    }

    private static func components(_ path: String) -> [Substring] { path.split(separator: "/") }

    /// Resolves "." and ".." lexically (".." at the root stays at the root, as the kernel has it).
    private static func isInside(_ parts: [Substring]) -> Bool {
        var resolved: [Substring] = []
        for part in parts where part != "." {
            if part == ".." { if !resolved.isEmpty { resolved.removeLast() } } else { resolved.append(part) }
        }
        return resolved.starts(with: components(installDirectory))
    }

    private static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var layers: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + layerSeparator.count <= bytes.count {
            if bytes[i..<(i + layerSeparator.count)].elementsEqual(layerSeparator) {
                layers.append(Array(bytes[start..<i]))
                i += layerSeparator.count
                start = i
            } else {
                i += 1
            }
        }
        layers.append(Array(bytes[start...]))
        return layers
    }
}

/// An agent image held in memory: uncompressed OCI layers, served verified as a transport would.
final class MemoryImageSource: ImageSource, Sendable {
    let reference = "fuzz:agent"
    let blobs: [[UInt8]]
    let digests: [Digest]

    init(blobs: [[UInt8]]) {
        self.blobs = blobs
        digests = blobs.map { Digest.sha256(of: $0) }
    }

    func manifest() throws -> ImageManifest {
        let layers = zip(blobs, digests).map { blob, digest in
            Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: Int64(blob.count)).jsonValue
        }
        let config = Descriptor(mediaType: MediaType.ociConfig, digest: .sha256(of: [UInt8]()), size: 0).jsonValue
        let json = JSONValue.object(
            JSONObject([
                ("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociManifest)),
                ("config", config), ("layers", .array(layers)),
            ]))
        guard
            case .manifest(let manifest) = try ManifestDocument.parse(
                ManifestBlob(bytes: json.serialized(), mediaType: MediaType.ociManifest),
                place: reference)
        else {
            throw FuzzPropertyViolation("a manifest made by the harness parsed as an index")
        }
        return manifest
    }

    func rootManifest() async throws -> ManifestBlob { throw OCIError.notFound("the root manifest of \(reference)") }

    func manifest(_ descriptor: Descriptor) async throws -> ManifestBlob { throw OCIError.notFound("manifest \(descriptor.digest)") }

    func openBlob(_ descriptor: Descriptor) async throws -> ByteReader {
        guard let index = digests.firstIndex(of: descriptor.digest) else { throw OCIError.notFound("blob \(descriptor.digest)") }
        return VerifyingReader(MemoryReader(blobs[index]), descriptor: descriptor, what: "blob \(descriptor.digest) of \(reference)")
    }
}
