import ArgumentParser
import Glibc
import IOFoundation
import ImagePatch
import JSON
import OCI

/// Packs a root directory into a one-layer OCI image and writes it through the OCI module's local
/// destinations (`oci-archive:FILE:TAG` or `oci:DIR:TAG`): how scripts/package builds the image of
/// imagepatch itself, with no container tooling. Not shipped: it is a build tool of this repository.
@main
struct ImagePatchImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagepatch-image",
        abstract: "Write a directory as a one-layer OCI image (used by scripts/package).")

    @Option(help: "The image's root filesystem.") var root: String
    @Option(help: "Where to write it: oci-archive:FILE:TAG or oci:DIR:TAG.") var target: String
    @Option(help: "The config's architecture.") var architecture = "amd64"
    @Option(help: "The config's os.") var os = "linux"
    @Option(help: "One Entrypoint element (repeatable).") var entrypoint: [String] = []
    @Option(help: "One Cmd element (repeatable).") var cmd: [String] = []
    @Option(help: "The config's User (UID:GID).") var user: String?
    @Option(help: "The config's WorkingDir.") var workdir = "/"
    @Option(help: "An Env entry K=V (repeatable).") var env: [String] = []
    @Option(help: "A label K=V (repeatable), also set as a manifest annotation.") var label: [String] = []
    @Option(help: "PATH=UID:GID: the owner of one entry, relative to the root (others are root's; repeatable).")
    var owner: [String] = []
    @Option(help: "Seconds since 1970: the config's created time and every file's mtime (default $SOURCE_DATE_EPOCH, else 0).")
    var created: Int64?

    func run() async throws {
        let epoch = try created ?? Self.sourceDateEpoch()
        guard (0...253_402_300_799).contains(epoch) else { throw ValidationError("--created \(epoch) is out of range") }
        let labels = try label.map { try Self.pair($0, "--label") }
        for entry in env { _ = try Self.pair(entry, "--env") }
        guard FileSystem.isDirectory(root) else { throw ValidationError("--root \(root) is not a directory") }
        guard let reference = try LocalReference(parsing: target), reference.tag != nil else {
            throw ValidationError("--target must be oci-archive:FILE:TAG or oci:DIR:TAG")
        }

        let scratch = try TemporaryDirectory(prefix: "imagepatch-image")
        let layer = try RootfsLayer.write(
            root: root, to: "\(scratch.path)/layer.tar.gz", owners: try Self.owners(owner), modificationTime: epoch)
        let time = JSONValue.string(Timestamp.rfc3339(epoch))

        var containerConfig: [(String, JSONValue)] = []
        if let user { containerConfig.append(("User", .string(user))) }
        containerConfig.append(("Env", .array(env.map { .string($0) })))
        if !entrypoint.isEmpty { containerConfig.append(("Entrypoint", .array(entrypoint.map { .string($0) }))) }
        if !cmd.isEmpty { containerConfig.append(("Cmd", .array(cmd.map { .string($0) }))) }
        containerConfig.append(("WorkingDir", .string(workdir)))
        containerConfig.append(("Labels", .object(JSONObject(labels.map { ($0.0, .string($0.1)) }))))
        let config = ManifestBlob(
            bytes: JSONValue.object(
                JSONObject([
                    ("created", time), ("architecture", .string(architecture)), ("os", .string(os)),
                    ("config", .object(JSONObject(containerConfig))),
                    (
                        "rootfs",
                        .object(JSONObject([("type", .string("layers")), ("diff_ids", .array([.string(layer.diffID.description)]))]))
                    ),
                    ("history", .array([.object(JSONObject([("created", time), ("created_by", .string("imagepatch-image"))]))])),
                ])
            ).serialized(), mediaType: MediaType.ociConfig)
        let layerDescriptor = Descriptor(mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size)
        var manifestFields: [(String, JSONValue)] = [
            ("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociManifest)),
            ("config", config.descriptor.jsonValue), ("layers", .array([layerDescriptor.jsonValue])),
        ]
        if !labels.isEmpty { manifestFields.append(("annotations", .object(JSONObject(labels.map { ($0.0, .string($0.1)) })))) }
        let manifest = ManifestBlob(bytes: JSONValue.object(JSONObject(manifestFields)).serialized(), mediaType: MediaType.ociManifest)

        let destination = try reference.openDestination()
        do {
            try await destination.putBlob(layerDescriptor, from: BlobOrigin(source: nil) { try FileReader(path: layer.file) })
            let configBytes = config.bytes
            try await destination.putBlob(config.descriptor, from: BlobOrigin(source: nil) { MemoryReader(configBytes) })
            try await destination.commit(root: manifest)
        } catch {
            await destination.abort()
            throw error
        }
        print("\(target) \(manifest.digest)")
    }

    private static func pair(_ text: String, _ flag: String, form: String = "K=V") throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ValidationError("\(flag) \(text.debugDescription) is not \(form)")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    private static func owners(_ values: [String]) throws -> [String: (uid: Int64, gid: Int64)] {
        var owners: [String: (uid: Int64, gid: Int64)] = [:]
        for value in values {
            let (path, ids) = try pair(value, "--owner", form: "PATH=UID:GID")
            let parts = ids.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let uid = Int64(parts[0]), let gid = Int64(parts[1]), uid >= 0, gid >= 0 else {
                throw ValidationError("--owner \(value.debugDescription) is not PATH=UID:GID")
            }
            owners[String(path.drop { $0 == "/" })] = (uid, gid)
        }
        return owners
    }

    private static func sourceDateEpoch() throws -> Int64 {
        guard let text = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), !text.isEmpty else { return 0 }
        guard let seconds = Int64(text), Timestamp.validSeconds.contains(seconds) else {
            throw ValidationError("SOURCE_DATE_EPOCH \(text.debugDescription) is not a number of seconds")
        }
        return seconds
    }
}
