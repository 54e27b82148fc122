import Foundation
import Hashing

/// Media types the tests compare against, spelled out rather than taken from the code under test.
enum MediaTypes {
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    static let schema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
}

/// Independent (Foundation `Codable`) models of the documents the tests read.
struct DescriptorDoc: Codable, Sendable, Equatable {
    var mediaType: String
    var digest: String
    var size: Int
    var platform: PlatformDoc?
    var annotations: [String: String]?

    /// The same descriptor as the fixture summary lists layers.
    var layer: FixtureSummary.Layer { .init(digest: digest, mediaType: mediaType, size: size) }
}

struct PlatformDoc: Codable, Sendable, Equatable {
    var architecture: String
    var os: String
    var variant: String?
}

struct IndexDoc: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var manifests: [DescriptorDoc]
    var annotations: [String: String]?

    /// The entry for an architecture; fails the caller's #require when absent.
    func entry(_ arch: FixtureArch) -> DescriptorDoc? { manifests.first { $0.platform?.architecture == arch.rawValue } }
}

struct ManifestDoc: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var config: DescriptorDoc
    var layers: [DescriptorDoc]
    var annotations: [String: String]?
}

/// The fields of an image config the tests look at; the raw bytes are kept for text checks.
struct ConfigDoc: Decodable, Sendable {
    struct Runtime: Decodable, Sendable {
        var Entrypoint: [String]?
        var Cmd: [String]?
        var Env: [String]?
        var User: String?
        var Labels: [String: String]?
        var xInner: Bool?

        enum CodingKeys: String, CodingKey {
            case Entrypoint, Cmd, Env, User, Labels
            case xInner = "x-inner"
        }
    }

    struct RootFS: Decodable, Sendable {
        var type: String
        var diff_ids: [String]
    }

    var architecture: String
    var os: String
    var created: String?
    var config: Runtime
    var rootfs: RootFS
}

extension Decodable {
    static func decode(_ data: Data) throws -> Self { try JSONDecoder().decode(Self.self, from: data) }
}

func sha256Digest(_ data: Data) -> String { "sha256:" + DigestHasher.hex(.sha256, of: Array(data)) }

struct LayoutProblem: Error, CustomStringConvertible {
    let description: String
}

/// Reads an OCI image layout directory straight from its files, checking every blob's digest.
struct LayoutFiles: Sendable {
    let directory: String

    func blobPath(_ digest: String) -> String {
        directory + "/blobs/" + digest.replacingOccurrences(of: ":", with: "/")
    }

    func hasBlob(_ digest: String) -> Bool { FileManager.default.fileExists(atPath: blobPath(digest)) }

    func blob(_ digest: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: blobPath(digest)))
        let actual = sha256Digest(data)
        guard actual == digest else {
            throw LayoutProblem(description: "\(blobPath(digest)) hashes to \(actual), not \(digest)")
        }
        return data
    }

    func indexJSON() throws -> IndexDoc {
        try IndexDoc.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/index.json")))
    }

    /// The index.json entry carrying `org.opencontainers.image.ref.name` = tag.
    func entry(tag: String) throws -> DescriptorDoc {
        let matches = try indexJSON().manifests.filter { $0.annotations?["org.opencontainers.image.ref.name"] == tag }
        guard matches.count == 1, let entry = matches.first else {
            throw LayoutProblem(description: "\(directory)/index.json has \(matches.count) entries tagged \(tag)")
        }
        return entry
    }

    func index(_ digest: String) throws -> IndexDoc { try IndexDoc.decode(blob(digest)) }
    func manifest(_ digest: String) throws -> ManifestDoc { try ManifestDoc.decode(blob(digest)) }
    func config(_ digest: String) throws -> ConfigDoc { try ConfigDoc.decode(blob(digest)) }
}
