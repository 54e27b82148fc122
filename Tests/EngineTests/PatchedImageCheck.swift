import ImagePatch
import ImagePatchTestSupport
import JSON
import OCI
import Testing

/// Checks a committed patch against the application image it was made from, from the bytes the
/// destination holds: every document parses, every digest is the hash of what it names, and each
/// edit is the one the options asked for while everything else is kept.
struct PatchedImageCheck {
    let harness: EngineHarness
    let destination: RecordingDestination
    /// Blobs the destination had before the run (so they were not written).
    var existing: Set<Digest> = []
    /// For a repatch: the agent of the earlier patch, whose environment the source carries.
    var earlierAgent: TestAgent?

    var application: TestImage { harness.application }

    func check(_ result: PatchResult, expectIndex: Bool) throws {
        let root = try #require(destination.committedRoot, "nothing was committed")
        #expect(root.digest == result.root.digest)
        #expect(root.digest == .sha256(of: root.bytes))
        #expect(result.written && !result.upToDate)
        #expect(!destination.aborted)
        try checkOrder(root)

        if expectIndex {
            try checkIndex(root, result)
        } else {
            #expect(result.platforms.count == 1)
            #expect(root.mediaType == application.family.manifest)
            #expect(root.digest == result.platforms.first?.digest)
        }
        for platform in result.platforms { try checkPlatform(platform) }
        // Every blob is written at most once, even a layer that several platforms share.
        let puts = destination.calls.compactMap { if case .putBlob(let digest) = $0 { digest } else { nil } }
        #expect(puts.count == Set(puts).count, "a blob was written twice: \(puts)")
        #expect(puts.allSatisfy { !existing.contains($0) }, "a blob the destination holds was written again")
    }

    /// Blobs, then the platform manifests, then the root: the tag moves last, once.
    func checkOrder(_ root: ManifestBlob) throws {
        let calls = destination.calls
        let firstManifest = try #require(calls.firstIndex { if case .putManifest = $0 { true } else { false } })
        let lastBlob = calls.lastIndex { if case .putBlob = $0 { true } else if case .hasBlob = $0 { true } else { false } }
        #expect((lastBlob ?? -1) < firstManifest, "\(calls)")
        #expect(calls.last == .commit(root.digest), "\(calls)")
        #expect(calls.filter { if case .commit = $0 { true } else { false } }.count == 1)
    }

    func checkIndex(_ root: ManifestBlob, _ result: PatchResult) throws {
        #expect(root.mediaType == application.family.index)
        let index = try object(root.bytes)
        let original = try object(application.root.bytes)
        let entries = try #require(index["manifests"]?.arrayValue)
        // One entry per platform image; the attestation of the unpatched image is left out.
        #expect(entries.count == application.images.count)
        #expect(result.platforms.count == application.images.count)
        for (entry, platform) in zip(entries, result.platforms) {
            #expect(entry["digest"]?.stringValue == platform.digest.description)
            #expect(entry["mediaType"]?.stringValue == application.family.manifest)
            let written = try #require(destination.manifests[platform.digest])
            #expect(entry["size"]?.int64Value == Int64(written.bytes.count))
            #expect(entry["platform"]?["architecture"]?.stringValue == platform.platform.architecture)
            #expect(entry[TestImage.unknownField]?.stringValue == "index entry")
        }
        #expect(index[TestImage.unknownField] == TestImage.unknownValue)
        #expect(index["annotations"] == original["annotations"])
        #expect(index.keys == original.keys)
    }

    func checkPlatform(_ platform: PatchResult.PlatformResult) throws {
        let image = try #require(application.images.first { $0.platform.matches(platform.platform) })
        let agentImage = try #require(harness.agentImage.images.first { $0.platform.matches(platform.platform) })
        let family = application.family

        // The manifest: the source's fields and layer descriptors as they were, the new config, the agent layer on top.
        let written = try #require(destination.manifests[platform.digest], "platform manifest \(platform.digest) not written")
        #expect(written.digest == .sha256(of: written.bytes))
        #expect(written.mediaType == family.manifest)
        let manifest = try object(written.bytes)
        let original = try object(image.manifest.bytes)
        #expect(manifest["mediaType"]?.stringValue == family.manifest)
        #expect(manifest[TestImage.unknownField] == TestImage.unknownValue)
        let layers = try #require(manifest["layers"]?.arrayValue)
        let originalLayers = try #require(original["layers"]?.arrayValue)
        #expect(layers.count == originalLayers.count + 1)
        #expect(Array(layers.dropLast()) == originalLayers, "the base layers' descriptors changed")
        let top = try #require(layers.last)
        #expect(top["mediaType"]?.stringValue == LayerCompression.gzip.layerMediaType(in: family))
        #expect(top["digest"]?.stringValue == platform.agentLayer.digest.description)
        #expect(top["size"]?.int64Value == platform.agentLayer.size)
        if family == .oci {
            #expect(manifest["annotations"]?["org.example.built-by"]?.stringValue == "tests")
            #expect(manifest["annotations"]?["org.opencontainers.image.base.digest"]?.stringValue == image.manifest.digest.description)
        } else {
            #expect(manifest["annotations"] == nil, "a Docker v2 manifest got an annotations field")
        }

        // The config blob the manifest names, with its digest and size.
        let configDescriptor = try #require(manifest["config"]?.objectValue)
        #expect(configDescriptor[TestImage.unknownField]?.stringValue == "config descriptor")
        #expect(configDescriptor["mediaType"]?.stringValue == family.config)
        let configDigest = try Digest(parsing: try #require(configDescriptor["digest"]?.stringValue))
        let configBytes = try #require(destination.blobs[configDigest], "the config blob was not written")
        #expect(configDescriptor["size"]?.int64Value == Int64(configBytes.count))
        try checkConfig(configBytes, original: image, agentImage: agentImage, platform: platform)

        // Every blob the manifest names is in the destination.
        for layer in layers {
            let digest = try Digest(parsing: try #require(layer["digest"]?.stringValue))
            #expect(destination.blobs[digest] != nil || existing.contains(digest), "layer \(digest) missing from the destination")
        }

        // The agent layer: its digest, its diff_id, and the agent's files under the install directory.
        let blob = try #require(destination.blobs[platform.agentLayer.digest], "the agent layer was not written")
        #expect(Digest.sha256(of: blob) == platform.agentLayer.digest)
        #expect(Int64(blob.count) == platform.agentLayer.size)
        let (paths, diffID) = try gunzipTar(blob)
        #expect(diffID == platform.agentLayer.diffID)
        let install = String(harness.agent.installDirectory.dropFirst())
        for path in harness.agent.expectedPaths { #expect(paths.contains("\(install)/\(path)"), "\(path) not in \(paths)") }
        for path in harness.agent.excludedPaths { #expect(!paths.contains { $0.hasSuffix(path) }, "\(path) in \(paths)") }
        #expect(paths.allSatisfy { $0 == install || $0.hasPrefix(install + "/") }, "\(paths)")
        #expect(platform.launcher == harness.agent.launcher(for: platform.platform))
    }

    /// The documented rule for setting a variable: the first entry of the name takes the value in
    /// place and later ones go, or it is appended. (A repatch keeps the environment it finds.)
    static func settingEnv(_ env: [String], _ settings: [(String, String)]) -> [String] {
        var env = env
        for (key, value) in settings {
            let named = { (entry: String) in entry == key || entry.hasPrefix(key + "=") }
            if let first = env.firstIndex(where: named) {
                env = env.enumerated().compactMap { $0.offset == first ? "\(key)=\(value)" : named($0.element) ? nil : $0.element }
            } else {
                env.append("\(key)=\(value)")
            }
        }
        return env
    }

    func checkConfig(
        _ bytes: [UInt8], original image: TestImage.PlatformImage, agentImage: TestImage.PlatformImage,
        platform: PatchResult.PlatformResult
    ) throws {
        let config = try object(bytes)
        let original = try object(image.config.bytes)
        let runtime = try #require(config["config"]?.objectValue)
        let launcher = harness.agent.launcher(for: platform.platform)

        #expect(strings(runtime["Entrypoint"]) == launcher + ["/app/run"])
        #expect(strings(runtime["Cmd"]) == ["--serve"])
        var sourceEnv = strings(TestImage.applicationRuntime["Env"]) ?? []
        if let earlierAgent { sourceEnv = Self.settingEnv(sourceEnv, earlierAgent.presetEnv + EngineHarness.env) }
        #expect(strings(runtime["Env"]) == Self.settingEnv(sourceEnv, harness.agent.presetEnv + EngineHarness.env))
        if earlierAgent == nil {
            let presetEnv = harness.agent.presetEnv.map { "\($0)=\($1)" }
            #expect(strings(runtime["Env"]) == ["PATH=/usr/bin:/bin", "APP_MODE=debug"] + presetEnv + ["AGENT_TAG=engine-tests"])
        }
        #expect(runtime["WorkingDir"] == TestImage.applicationRuntime["WorkingDir"])
        #expect(runtime["ExposedPorts"] == TestImage.applicationRuntime["ExposedPorts"])

        let labels = try #require(runtime["Labels"]?.objectValue)
        #expect(labels["org.example.team"]?.stringValue == "tests")
        #expect(labels["org.example.patched"]?.stringValue == "yes")
        #expect(labels[PatchLabels.agent]?.stringValue == harness.agentSource.reference)
        #expect(labels[PatchLabels.agentDigest]?.stringValue == agentImage.manifest.digest.description)
        #expect(labels[PatchLabels.preset]?.stringValue == harness.agent.description)
        #expect(labels[PatchLabels.agentLayer]?.stringValue == platform.agentLayer.diffID.description)
        #expect(labels[PatchLabels.agentLayerDigest]?.stringValue == platform.agentLayer.digest.description)
        #expect(labels[PatchLabels.agentLayerSize]?.stringValue == String(platform.agentLayer.size))
        #expect(strings(try JSONValue(parsing: Array((labels[PatchLabels.launcher]?.stringValue ?? "").utf8))) == launcher)
        #expect(labels[PatchLabels.originalEntrypoint]?.stringValue == #"["/app/run"]"#)

        // The new diff_id on top of the source's, a history entry, a time derived from the inputs.
        let diffIDs = strings(config["rootfs"]?["diff_ids"])
        #expect(diffIDs == image.layers.map(\.diffID.description) + [platform.agentLayer.diffID.description])
        let history = try #require(config["history"]?.arrayValue)
        #expect(history.count == image.layers.count + 1)
        #expect(history.last?["comment"]?.stringValue == "imagepatch")
        #expect(config["created"]?.stringValue == "2024-05-01T12:00:00Z")

        // Fields imagepatch does not know, kept in place, with their literal text.
        #expect(config.keys == original.keys)
        #expect(config[TestImage.unknownField] == TestImage.unknownValue)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""ratio":1.50"#))
        #expect(config["architecture"] == original["architecture"] && config["os"] == original["os"])
    }
}
