import Foundation

/// Independent readers of what imagepatch writes: skopeo (containers/image) and umoci. Every image
/// the tests produce must be readable by them; none of this goes through imagepatch's own reader.
enum Oracles {
    // MARK: skopeo

    /// `skopeo inspect --raw REF`: the exact bytes of the root manifest or index.
    static func skopeoInspectRaw(_ reference: String, overrideArch: String? = nil) async throws -> Data {
        try await ProcessRunner.check("skopeo", archArguments(overrideArch) + ["inspect", "--raw", reference]).stdout
    }

    /// `skopeo inspect REF`: skopeo's summary (Architecture, Layers, Env, ...), as JSON.
    static func skopeoInspect(_ reference: String, overrideArch: String? = nil) async throws -> [String: Any] {
        let out = try await ProcessRunner.check("skopeo", archArguments(overrideArch) + ["inspect", reference]).stdout
        return try jsonObject(out)
    }

    /// `skopeo inspect --config --raw REF`: the exact bytes of the config skopeo selects.
    static func skopeoConfigRaw(_ reference: String, overrideArch: String? = nil) async throws -> Data {
        try await ProcessRunner.check("skopeo", archArguments(overrideArch) + ["inspect", "--config", "--raw", reference]).stdout
    }

    /// `skopeo copy` (which verifies every blob's digest on the way).
    static func skopeoCopy(
        from source: String, to destination: String, overrideArch: String? = nil,
        all: Bool = false, extra: [String] = []
    ) async throws {
        try await ProcessRunner.check(
            "skopeo",
            archArguments(overrideArch)
                + ["copy", "-q"] + (all ? ["--all"] : []) + extra + [source, destination])
    }

    /// Copies every image of `reference` (all platforms) into a throwaway `dir:`; throws if skopeo
    /// cannot read or verify any of it.
    static func skopeoCopyAll(_ reference: String) async throws {
        try await TempDirectory.with("skopeo-copy") { tmp in
            try await skopeoCopy(from: reference, to: "dir:" + tmp.appending("copy"), all: true)
        }
    }

    /// A layout skopeo 1.9 can open. Its `oci:` transport ignores index.json entries whose mediaType
    /// is Docker's (a manifest list or v2 manifest), so for those this makes, inside `scratch`, a
    /// throwaway layout sharing the same blobs whose index.json entries say OCI; skopeo then reads
    /// (and digest-checks) the Docker blobs themselves. Same trick as scripts/make-fixtures.
    static func skopeoView(of layout: String, in scratch: String) throws -> String {
        let indexURL = URL(fileURLWithPath: layout + "/index.json")
        var index = try jsonObject(Data(contentsOf: indexURL))
        guard var manifests = index["manifests"] as? [[String: Any]] else {
            throw LayoutProblem(description: "\(layout)/index.json has no manifests array")
        }
        let relabel = [MediaTypes.dockerList: MediaTypes.ociIndex, MediaTypes.dockerManifest: MediaTypes.ociManifest]
        guard manifests.contains(where: { relabel[$0["mediaType"] as? String ?? ""] != nil }) else { return layout }
        for i in manifests.indices {
            if let type = manifests[i]["mediaType"] as? String, let oci = relabel[type] { manifests[i]["mediaType"] = oci }
        }
        index["manifests"] = manifests
        let view = scratch + "/skopeo-view-" + URL(fileURLWithPath: layout).lastPathComponent
        let fm = FileManager.default
        try fm.createDirectory(atPath: view, withIntermediateDirectories: true)
        try fm.createSymbolicLink(
            atPath: view + "/blobs",
            withDestinationPath: URL(fileURLWithPath: layout).standardizedFileURL.path + "/blobs")
        try fm.copyItem(atPath: layout + "/oci-layout", toPath: view + "/oci-layout")
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: view + "/index.json"))
        return view
    }

    // MARK: umoci

    /// Unpacks one platform of an OCI layout tag into a runtime bundle. umoci cannot take an index
    /// with several manifests, so skopeo first copies the chosen architecture into a one-image
    /// layout, which umoci then unpacks.
    static func umociUnpack(layout: String, tag: String, bundle: String, arch: String) async throws {
        try await unpack(reference: "oci:\(layout):\(tag)", bundle: bundle, arch: arch)
    }

    /// Any reference skopeo reads (oci:, oci-archive:, docker-archive:) into a runtime bundle.
    /// `recompressToGzip`: umoci 0.4.7 cannot unpack zstd layers ("blob is not correct mediatype");
    /// skopeo then decompresses and re-gzips them (checking their digests) on the way.
    static func unpack(
        reference: String, bundle: String, arch: String, recompressToGzip: Bool = false,
        extraSkopeoFlags: [String] = []
    ) async throws {
        try await TempDirectory.with("umoci") { tmp in
            let single = tmp.appending("single")
            try await skopeoCopy(
                from: reference, to: "oci:\(single):x", overrideArch: arch,
                extra: (recompressToGzip ? ["--dest-compress", "--dest-compress-format", "gzip"] : []) + extraSkopeoFlags)
            try await ProcessRunner.check("umoci", ["unpack", "--image", "\(single):x", bundle])
        }
    }

    // MARK: helpers

    private static func archArguments(_ arch: String?) -> [String] {
        arch.map { ["--override-os", "linux", "--override-arch", $0] } ?? []
    }

    static func jsonObject(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LayoutProblem(description: "not a JSON object: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return object
    }
}
