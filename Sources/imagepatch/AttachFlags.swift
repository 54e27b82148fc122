import ArgumentParser
import Attestation
import ImagePatch

/// `--sign-key`, `--sbom`, `--provenance` (`patch`): what to publish beside a patched image in its
/// registry. The key is read and decrypted here, before anything is pulled or pushed.
struct AttachFlags: ParsableArguments {
    @Option(
        name: .customLong("sign-key"),
        help: ArgumentHelp(
            "Sign the image (root and every platform manifest, cosign's format) with this ECDSA P-256 private key: PEM PKCS#8, SEC1, encrypted PKCS#8, or a cosign key.",
            valueName: "file"))
    var signKey: String?

    @Option(
        name: .customLong("sign-passphrase-file"),
        help: ArgumentHelp(
            "The passphrase of an encrypted --sign-key (one final newline is dropped); default: $\(Self.passphraseVariable).",
            valueName: "file"))
    var signPassphraseFile: String?

    @Flag(help: "Attach an SBOM of the added files (SPDX 2.3 JSON) to every patched platform manifest.")
    var sbom = false

    @Option(
        name: .customLong("sbom-format"),
        help: ArgumentHelp(
            "The SBOM's format (repeatable or comma-separated; implies --sbom; default spdx).",
            valueName: SBOMFormat.allCases.map(\.rawValue).joined(separator: "|")))
    var sbomFormats: [String] = []

    @Flag(help: "Attach SLSA provenance (an in-toto statement; DSSE-signed with --sign-key) to every patched platform manifest.")
    var provenance = false

    static let passphraseVariable = "IMAGEPATCH_SIGN_PASSPHRASE"

    func apply(to options: inout PatchOptions) throws {
        var attach = AttachOptions()
        attach.provenance = provenance
        attach.sbomFormats = try sbomFormats.flatMap { $0.split(separator: ",") }.map { name in
            guard let format = SBOMFormat(rawValue: String(name)) else {
                let names = SBOMFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw PatchError.invalidOption("--sbom-format", "\(String(name).debugDescription) is not one of \(names)")
            }
            return format
        }
        if sbom && attach.sbomFormats.isEmpty { attach.sbomFormats = [.spdx] }
        attach.sbomFormats = attach.sbomFormats.reduce(into: []) { kept, format in if !kept.contains(format) { kept.append(format) } }
        if let signKey {
            let passphrase: [UInt8]? =
                if let signPassphraseFile {
                    try SigningKeyLoader.passphrase(fromFile: signPassphraseFile)
                } else {
                    CommandSupport.environment(Self.passphraseVariable).map { Array($0.utf8) }
                }
            attach.signingKey = try SigningKeyLoader.load(path: signKey, passphrase: passphrase)
        } else if signPassphraseFile != nil {
            throw PatchError.invalidOption("--sign-passphrase-file", "needs --sign-key")
        }
        options.attach = attach
    }
}
