import Foundation
import Testing

/// `testdata/generated/manifest.json`, written by scripts/make-fixtures: every fixture's digests.
struct FixtureSummary: Decodable, Sendable {
    let fixtures: [String: Fixture]

    struct Fixture: Decodable, Sendable {
        let kind: String
        /// oci-layout fixtures: tag -> what it names.
        let tags: [String: Tag]?
        /// hostile-bigdigest: the digest its layer really has (the descriptor names another).
        let trueLayerDigest: String?
        /// docker-archive fixtures.
        let platform: String?
        let config: String?
        let diffIds: [String]?
    }

    struct Tag: Decodable, Sendable {
        let digest: String
        let mediaType: String
        let size: Int
        /// For an index: platform key ("linux/amd64", "linux/arm64/v8") -> manifest.
        let manifests: [String: Manifest]?
        /// For a tag naming a manifest directly.
        let manifest: Manifest?
        let attestation: Attestation?
    }

    struct Manifest: Decodable, Sendable {
        let digest: String
        let mediaType: String
        let size: Int
        let config: String
        let layers: [Layer]
        let diffIds: [String]
    }

    struct Layer: Decodable, Sendable, Equatable {
        let digest: String
        let mediaType: String
        let size: Int
    }

    struct Attestation: Decodable, Sendable {
        let digest: String
        let referenceDigest: String
    }

    struct MissingEntry: Error, CustomStringConvertible {
        let what: String
        var description: String { "testdata/generated/manifest.json has no \(what)" }
    }

    func tag(_ fixture: String, _ tag: String) throws -> Tag {
        guard let entry = fixtures[fixture]?.tags?[tag] else { throw MissingEntry(what: "\(fixture) tag \(tag)") }
        return entry
    }

    /// The platform manifest of a fixture tag; `platform` is a summary key such as "linux/arm64/v8".
    func manifest(_ fixture: String, _ tag: String, platform: String? = nil) throws -> Manifest {
        let entry = try self.tag(fixture, tag)
        if let platform {
            guard let manifest = entry.manifests?[platform] else {
                throw MissingEntry(what: "\(fixture) tag \(tag) platform \(platform)")
            }
            return manifest
        }
        guard let manifest = entry.manifest else { throw MissingEntry(what: "\(fixture) tag \(tag) single manifest") }
        return manifest
    }
}

/// The architectures the multi-platform fixtures hold, with their keys in the summary.
enum FixtureArch: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case amd64, arm64

    /// The platform key of the app fixtures' image for this architecture.
    var appPlatformKey: String { self == .amd64 ? "linux/amd64" : "linux/arm64/v8" }
    /// The dynamic loader the falcon launcher runs.
    var loader: String { self == .amd64 ? "ld-linux-x86-64.so.2" : "ld-linux-aarch64.so.1" }

    /// The launcher the falcon preset must put in front of the Entrypoint.
    var falconLauncher: [String] {
        let install = "/opt/CrowdStrike/rootfs"
        return [
            "\(install)/lib64/\(loader)", "--library-path", "\(install)/lib64",
            "\(install)/bin/bash", "\(install)/entrypoint-ecs.sh",
        ]
    }

    var testDescription: String { rawValue }
}
