import JSON
import OCI

/// A small image built in memory: one config and gzip tar layers per platform, a manifest per
/// platform and, when asked, an index over them (OCI or Docker media types throughout). Each
/// document carries fields imagepatch does not know, so a test can check that they survive.
public struct TestImage: Sendable {
    public struct PlatformImage: Sendable {
        public let platform: Platform
        public let config: ManifestBlob
        public let manifest: ManifestBlob
        public let layers: [TestLayer]
    }

    public let family: MediaTypeFamily
    public let root: ManifestBlob
    /// The index, when the image has one (then `root` is it).
    public let index: ManifestBlob?
    public let images: [PlatformImage]
    /// Manifests and blobs that are not platform images (a build attestation).
    let otherManifests: [ManifestBlob]
    let otherBlobs: [[UInt8]]

    /// The field every test document carries and imagepatch knows nothing of; its number keeps its
    /// literal text through a rewrite.
    public static let unknownField = "x-test-unknown"
    public static let unknownValue = JSONValue.object(JSONObject([("ratio", .number("1.50")), ("kept", .bool(true))]))

    public func source(_ reference: String) -> InMemoryImageSource {
        InMemoryImageSource(
            reference: reference, root: root, manifests: images.map(\.manifest) + otherManifests,
            blobs: images.flatMap { [$0.config.bytes] + $0.layers.map(\.blob) } + otherBlobs)
    }

    /// An image of `platforms`. `layers` gives each platform's layers (a layer given for several
    /// platforms is one blob), `runtime` its config's `config` object.
    public static func make(
        family: MediaTypeFamily, platforms: [Platform], asIndex: Bool, attestation: Bool = false,
        created: String = "2024-05-01T12:00:00Z",
        layers: (Platform) -> [[TestFile]], runtime: (Platform) -> JSONObject
    ) throws -> TestImage {
        precondition(asIndex || platforms.count == 1, "a single manifest holds one platform")
        var images: [PlatformImage] = []
        for platform in platforms {
            let built = try layers(platform).map { try TestLayer($0, family: family) }
            var config = JSONObject()
            config["created"] = .string(created)
            config["architecture"] = .string(platform.architecture)
            config["os"] = .string(platform.os)
            if let variant = platform.variant { config["variant"] = .string(variant) }
            config["config"] = .object(runtime(platform))
            config["rootfs"] = .object(
                JSONObject([
                    ("type", .string("layers")),
                    ("diff_ids", .array(built.map { .string($0.diffID.description) })),
                ]))
            config["history"] = .array(
                built.indices.map { i in
                    .object(JSONObject([("created", .string(created)), ("created_by", .string("test layer \(i)"))]))
                })
            config[unknownField] = unknownValue
            let configBlob = ManifestBlob(bytes: JSONValue.object(config).serialized(), mediaType: family.config)

            var configDescriptor = configBlob.descriptor.jsonValue.objectValue!
            configDescriptor[unknownField] = .string("config descriptor")
            var manifest = JSONObject()
            manifest["schemaVersion"] = .integer(2)
            manifest["mediaType"] = .string(family.manifest)
            manifest["config"] = .object(configDescriptor)
            manifest["layers"] = .array(
                built.enumerated().map { i, layer in
                    var descriptor = layer.descriptor.jsonValue.objectValue!
                    if i == 0 { descriptor[unknownField] = .string("layer descriptor") }
                    return .object(descriptor)
                })
            if family == .oci { manifest["annotations"] = .object(JSONObject([("org.example.built-by", .string("tests"))])) }
            manifest[unknownField] = unknownValue
            images.append(
                PlatformImage(
                    platform: platform, config: configBlob,
                    manifest: ManifestBlob(bytes: JSONValue.object(manifest).serialized(), mediaType: family.manifest),
                    layers: built))
        }
        guard asIndex else {
            return TestImage(family: family, root: images[0].manifest, index: nil, images: images, otherManifests: [], otherBlobs: [])
        }
        var entries: [JSONValue] = images.map { image in
            var entry = Descriptor(
                mediaType: image.manifest.mediaType, digest: image.manifest.digest,
                size: Int64(image.manifest.bytes.count), platform: image.platform
            ).json
            entry[unknownField] = .string("index entry")
            return .object(entry)
        }
        var otherManifests: [ManifestBlob] = []
        var otherBlobs: [[UInt8]] = []
        if attestation {
            // What buildx adds: an unknown/unknown entry the patched index must leave out.
            let statement = Array(#"{"_type":"https://in-toto.io/Statement/v0.1"}"#.utf8)
            let emptyConfig = Array("{}".utf8)
            let manifest = JSONValue.object(
                JSONObject([
                    ("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.ociManifest)),
                    ("config", Descriptor(mediaType: MediaType.ociConfig, digest: .sha256(of: emptyConfig), size: 2).jsonValue),
                    (
                        "layers",
                        .array([
                            Descriptor(
                                mediaType: "application/vnd.in-toto+json", digest: .sha256(of: statement),
                                size: Int64(statement.count)
                            ).jsonValue
                        ])
                    ),
                ])
            ).serialized()
            let blob = ManifestBlob(bytes: manifest, mediaType: MediaType.ociManifest)
            entries.append(
                .object(
                    Descriptor(
                        mediaType: blob.mediaType, digest: blob.digest, size: Int64(manifest.count),
                        platform: Platform(os: "unknown", architecture: "unknown"),
                        annotations: [
                            ("vnd.docker.reference.type", "attestation-manifest"),
                            ("vnd.docker.reference.digest", images[0].manifest.digest.description),
                        ]
                    ).json))
            otherManifests.append(blob)
            otherBlobs += [statement, emptyConfig]
        }
        var index = JSONObject()
        index["schemaVersion"] = .integer(2)
        index["mediaType"] = .string(family.index)
        index["manifests"] = .array(entries)
        if family == .oci { index["annotations"] = .object(JSONObject([("org.example.index", .string("tests"))])) }
        index[unknownField] = unknownValue
        let root = ManifestBlob(bytes: JSONValue.object(index).serialized(), mediaType: family.index)
        return TestImage(
            family: family, root: root, index: root, images: images, otherManifests: otherManifests,
            otherBlobs: otherBlobs)
    }

    /// An application image: a layer shared by every platform, then one of the platform's own
    /// (`baseLayers` layers in all), an Entrypoint and a Cmd, Env, Labels and fields left alone.
    public static func application(
        family: MediaTypeFamily, platforms: [Platform], asIndex: Bool,
        baseLayers: Int = 2
    ) throws -> TestImage {
        try make(
            family: family, platforms: platforms, asIndex: asIndex, attestation: asIndex && family == .oci,
            layers: { platform in
                (0..<baseLayers).map { i in
                    i == 0
                        ? [.directory("etc"), .file("etc/app.conf", "shared by every platform\n")]
                        : [.directory("app"), .file("app/run", "#!/bin/sh\n# \(platform) layer \(i)\n", mode: 0o755)]
                }
            },
            runtime: { _ in Self.applicationRuntime })
    }

    /// The application's `config` object: what a patched config must keep or extend.
    public static let applicationRuntime = JSONObject([
        ("Entrypoint", .array([.string("/app/run")])),
        ("Cmd", .array([.string("--serve")])),
        ("Env", .array([.string("PATH=/usr/bin:/bin"), .string("APP_MODE=prod")])),
        ("WorkingDir", .string("/app")),
        ("ExposedPorts", .object(JSONObject([("8080/tcp", .object(JSONObject()))]))),
        ("Labels", .object(JSONObject([("org.example.team", .string("tests"))]))),
    ])
}
