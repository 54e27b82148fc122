import JSON
import OCI

/// A manifest or index as a transport hands it over. The first byte picks the media type the
/// transport claims (none, OCI, Docker, schema 1), the rest is the document. What parses has
/// descriptors that write out and read back as the same descriptors.
enum ManifestHarness {
    static let claimedMediaTypes = [
        "", MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
        MediaType.dockerSchema1, MediaType.ociConfig,
    ]

    static func run(_ input: [UInt8]) throws {
        guard let selector = input.first else { return }
        let mediaType = claimedMediaTypes[Int(selector) % claimedMediaTypes.count]
        let blob = ManifestBlob(bytes: Array(input.dropFirst()), mediaType: mediaType)
        guard let document = try? ManifestDocument.parse(blob, place: "fuzzed manifest") else { return }
        switch document {
        case .index(let index):
            try require(MediaType.isIndex(index.mediaType), "an index parsed with the media type \(index.mediaType.debugDescription)")
            for descriptor in index.manifests { try roundTrip(descriptor) }
        case .manifest(let manifest):
            try require(
                MediaType.isManifest(manifest.mediaType), "a manifest parsed with the media type \(manifest.mediaType.debugDescription)")
            try roundTrip(manifest.config)
            for descriptor in manifest.layers { try roundTrip(descriptor) }
        }
    }

    /// A descriptor read from JSON, written and read again, has the same meaning.
    private static func roundTrip(_ descriptor: Descriptor) throws {
        let written = descriptor.jsonValue
        guard let again = try? Descriptor(json: written, place: "rewritten descriptor") else {
            throw FuzzPropertyViolation("the descriptor \(JSONHarness.text(written.serialized())) does not read back")
        }
        try require(
            again.mediaType == descriptor.mediaType && again.digest == descriptor.digest && again.size == descriptor.size
                && again.platform == descriptor.platform,
            "the descriptor \(JSONHarness.text(written.serialized())) reads back as another descriptor")
        _ = descriptor.annotations
    }
}

/// Any bytes as an image config: refused, or readable through every accessor, and its
/// serialization reads back as the same config.
enum ImageConfigHarness {
    static func run(_ input: [UInt8]) throws {
        guard let config = try? ImageConfig(bytes: input, place: "fuzzed config") else { return }
        _ = (config.entrypoint, config.cmd, config.user, config.env, config.labels, config.platform, config.diffIDs)
        _ = config.label("io.imagepatch.agent")
        let written = config.serialized
        guard let again = try? ImageConfig(bytes: written, place: "rewritten config") else {
            throw FuzzPropertyViolation("the config's serialization \(JSONHarness.text(written)) does not read back")
        }
        try require(again.json == config.json, "the config's serialization \(JSONHarness.text(written)) reads back as another config")
    }
}
