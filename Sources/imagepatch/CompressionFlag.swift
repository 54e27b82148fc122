import ArgumentParser
import ImagePatch

/// `--compression gzip|zstd`: how the agent layer is compressed (`patch`). The source's own layers
/// are never recompressed.
struct CompressionFlag: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How the agent layer is compressed: gzip (the default; every runtime reads it) or zstd (OCI images only: smaller, faster to unpack; containerd 1.5+, CRI-O, Podman).",
            valueName: LayerCompression.allCases.map(\.rawValue).joined(separator: "|")))
    var compression: String?

    /// Sets `options.compression` when the flag was given; the default is `PatchOptions`'.
    func apply(to options: inout PatchOptions) throws {
        guard let compression else { return }
        guard let value = LayerCompression(rawValue: compression) else {
            let names = LayerCompression.allCases.map(\.rawValue).joined(separator: ", ")
            throw PatchError.invalidOption("--compression", "\(compression.debugDescription) is not one of \(names)")
        }
        options.compression = value
    }
}
