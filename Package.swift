// swift-tools-version:6.0
import PackageDescription

// Data flows: OCI (image model, local transports) -> ImagePatch (plan, agent layer,
// config/manifest rewrite) -> a destination transport. Each C library is wrapped
// by exactly one small Swift module; nothing else imports the C module. IOFoundation
// (byte streams, files, the temporary directory, off-pool work) is below all of them.
// The tests stay in Swift 5 mode: their helpers hand readers to threads of their own on purpose.
let testLanguageMode: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "imagepatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "imagepatch", targets: ["imagepatch"]),
        .library(name: "ImagePatch", targets: ["ImagePatch"]),
        .library(name: "OCI", targets: ["OCI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries, found with pkg-config and installed by scripts/setup.
        .systemLibrary(
            name: "CArchive", path: "Sources/CLibraries/CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "CCrypto", path: "Sources/CLibraries/CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CLibraries/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CISAL", path: "Sources/CLibraries/CISAL", pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Sources/CLibraries/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CZstd", path: "Sources/CLibraries/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),

        // Byte streams, files, the temporary directory, interrupt cleanup and the executor for
        // blocking work: below everything else, so the codecs read and produce `ByteReader`s.
        .target(name: "IOFoundation"),

        // One Swift wrapper per C library.
        .target(name: "Hashing", dependencies: ["CCrypto"]),
        .target(name: "Tar", dependencies: ["CArchive", "IOFoundation"]),
        .target(name: "GzipDecoding", dependencies: ["CZlib", "IOFoundation"]),
        .target(name: "GzipEncoding", dependencies: ["CISAL"]),
        .target(name: "HTTP", dependencies: ["CCurl", "IOFoundation"]),
        .target(name: "ZstdEncoding", dependencies: ["CZstd"]),

        // Order-preserving JSON, so unknown fields survive edits.
        .target(name: "JSON"),

        .target(
            name: "OCI",
            dependencies: [
                "IOFoundation", "JSON", "Hashing", "Tar", "GzipDecoding",
            ]),
        .target(
            name: "Registry",
            dependencies: [
                "IOFoundation", "OCI", "JSON", "Hashing", "HTTP",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "ImagePatch",
            dependencies: [
                "IOFoundation", "OCI", "JSON", "Hashing", "Tar", "GzipDecoding", "GzipEncoding", "ZstdEncoding", "Attestation",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // ECS task definitions (`taskdef`): the agent added at deploy time, sidecar or embedded.
        .target(name: "TaskDefinition", dependencies: ["IOFoundation", "ImagePatch", "OCI", "JSON"]),
        // Kubernetes: taskdef's sidecar rewrite applied to pod specs (`k8s inject`), and the webhook's
        // install manifests (`k8s install`).
        .target(
            name: "Kubernetes",
            dependencies: [
                "ImagePatch", "TaskDefinition", "OCI", "JSON", "Hashing", "IOFoundation",
                .product(name: "Yams", package: "Yams"),
            ]),
        // Fleet files and plans: knows registries only through the FleetRegistry protocol.
        .target(
            name: "Fleet",
            dependencies: [
                "OCI", "JSON", "Hashing",
                .product(name: "Yams", package: "Yams"),
            ]),
        // The transport table: every transport, local (OCI) and registry, in one list.
        .target(name: "AllTransports", dependencies: ["OCI", "Registry"]),
        // Signatures (cosign format), DSSE, in-toto/SLSA provenance, SBOMs and OCI 1.1 artifacts.
        .target(name: "Attestation", dependencies: ["JSON", "Hashing", "OCI"]),
        // The Kubernetes mutating admission webhook (`k8s webhook`): HTTPS on Hummingbird, certificates reloaded
        // from files; it knows the pod rewrite only through the PodMutating protocol.
        .target(
            name: "AdmissionWebhook",
            dependencies: [
                "JSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "imagepatch",
            dependencies: [
                "IOFoundation", "ImagePatch", "TaskDefinition", "Kubernetes", "OCI", "Registry", "AllTransports", "Fleet", "Attestation",
                "AdmissionWebhook", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // scripts/package's image builder: a root directory as a one-layer OCI image, written through
        // the OCI module's own oci-archive:/oci: destinations. A build tool, not shipped.
        .executableTarget(
            name: "imagepatch-image",
            dependencies: [
                "IOFoundation", "OCI", "JSON", "Hashing", "Tar", "GzipEncoding", "ImagePatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Fuzzing (scripts/fuzz): the harnesses are a library, so the normal test suite replays the
        // committed corpora through them; the executable is libFuzzer's driver only in a fuzz build.
        .target(
            name: "FuzzHarnesses",
            dependencies: ["IOFoundation", "JSON", "OCI", "Registry", "ImagePatch", "TaskDefinition", "Tar", "Attestation", "Hashing"]),
        // libFuzzer's C entry points write to the C `stderr` global: Swift 5 mode.
        .executableTarget(
            name: "imagepatch-fuzz", dependencies: ["FuzzHarnesses"],
            swiftSettings: [.swiftLanguageMode(.v5)]),

        // Test doubles shared by test targets only: images, a recording destination and a scripted
        // HTTP registry, all in memory, so the engine runs in-process without root or fixtures.
        .target(
            name: "ImagePatchTestSupport",
            dependencies: [
                "IOFoundation", "ImagePatch", "OCI", "Registry", "HTTP", "JSON", "Tar", "GzipEncoding",
            ]),

        .testTarget(
            name: "JSONTests", dependencies: ["JSON"],
            swiftSettings: testLanguageMode),
        .testTarget(
            name: "ImagePatchTests",
            dependencies: [
                "IOFoundation", "ImagePatch", "TaskDefinition", "Kubernetes", "OCI", "JSON", "Hashing", "Tar", "AllTransports",
            ], swiftSettings: testLanguageMode),
        .testTarget(
            name: "RegistryTests", dependencies: ["IOFoundation", "Registry", "OCI", "HTTP", "JSON", "ImagePatchTestSupport"],
            swiftSettings: testLanguageMode),
        // The in-memory engine tests and the attestation tests are Swift 6 clean.
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "ImagePatchTestSupport", "ImagePatch", "OCI", "Registry", "HTTP", "JSON", "Tar", "GzipDecoding", "Attestation", "Hashing",
                "IOFoundation",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "FuzzReplayTests", dependencies: ["FuzzHarnesses"],
            swiftSettings: testLanguageMode),
        .testTarget(
            name: "FleetTests", dependencies: ["IOFoundation", "Fleet", "OCI", "JSON", "Registry"],
            swiftSettings: testLanguageMode),
        // Running outside tools (openssl, curl, python3) and temporary directories, for the test targets that need them.
        .target(name: "TestTools"),
        .testTarget(name: "AttestationTests", dependencies: ["Attestation", "Hashing", "OCI", "JSON", "TestTools"]),
        .testTarget(
            name: "AdmissionWebhookTests",
            dependencies: ["AdmissionWebhook", "JSON", "TestTools", .product(name: "Logging", package: "swift-log")]),
        // scripts/package's .deb and image, built from the debug binary and checked with dpkg-deb,
        // umoci, skopeo and a chroot run.
        .testTarget(name: "PackageTests", dependencies: ["TestTools"], swiftSettings: testLanguageMode),
    ],
    // Swift 6: the compiler checks the threading of every target.
    swiftLanguageModes: [.v6]
)
