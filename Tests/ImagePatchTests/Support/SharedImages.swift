import Foundation

/// An image imagepatch wrote into an OCI layout, with the run that wrote it.
struct PatchedImage: Sendable {
    let layout: String
    let tag: String
    let run: ProcessResult

    var reference: String { "oci:\(layout):\(tag)" }
    var files: LayoutFiles { LayoutFiles(directory: layout) }
}

/// Outputs several tests read, made once per process on first use (the patch run, and the
/// unpacked bundles, are the slow parts). Tests must not modify them.
actor SharedImages {
    static let shared = SharedImages()

    private var images: [String: Task<PatchedImage, Error>] = [:]
    private var bundles: [String: Task<String, Error>] = [:]

    /// `app-oci:1` (two platforms and an attestation) patched with `agent-oci:7`, with `--json`.
    static func multiArch() async throws -> PatchedImage {
        try await shared.image("multi-arch") {
            let fixtures = try await Fixtures.ready()
            let layout = try SharedScratch.directory("multi-arch") + "/out"
            let run = try await ImagePatchCLI.patch(
                source: fixtures.oci("app-oci", "1"),
                agent: fixtures.oci("agent-oci", "7"),
                target: "oci:\(layout):patched", json: true)
            return PatchedImage(layout: layout, tag: "patched", run: run)
        }
    }

    /// One platform of `multiArch()` unpacked by umoci (via skopeo); returns the bundle directory.
    static func multiArchBundle(_ arch: FixtureArch) async throws -> String {
        try await shared.bundle("multi-arch/\(arch.rawValue)") {
            let image = try await multiArch()
            guard image.run.succeeded else { throw CommandFailed(result: image.run) }
            let bundle = try SharedScratch.directory("bundle-\(arch.rawValue)") + "/bundle"
            try await Oracles.umociUnpack(layout: image.layout, tag: image.tag, bundle: bundle, arch: arch.rawValue)
            return bundle
        }
    }

    private func image(_ key: String, _ make: @escaping @Sendable () async throws -> PatchedImage) async throws -> PatchedImage {
        if images[key] == nil { images[key] = Task { try await make() } }
        return try await images[key]!.value
    }

    private func bundle(_ key: String, _ make: @escaping @Sendable () async throws -> String) async throws -> String {
        if bundles[key] == nil { bundles[key] = Task { try await make() } }
        return try await bundles[key]!.value
    }
}
