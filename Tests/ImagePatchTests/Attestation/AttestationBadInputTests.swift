import Foundation
import Testing

/// Key and passphrase problems are refused before anything is pushed, in one `error:` line that
/// never shows the passphrase.
@Suite("Attestation: bad keys and passphrases")
struct AttestationBadInputTests {
    enum Case: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case encryptedWithoutPassphrase = "an encrypted key without its passphrase"
        case wrongPassphraseVariable = "a wrong passphrase in IMAGEPATCH_SIGN_PASSPHRASE"
        case wrongPassphraseFile = "a wrong passphrase file (the right one in the variable)"
        case cosignWrongPassphrase = "a cosign key with a wrong passphrase"
        case rsaKey = "an RSA key"
        case directory = "a directory as the key"
        case missingKey = "a key file that does not exist"
        case layoutTarget = "--sign-key with an OCI layout target"
        case sbomLayoutTarget = "--sbom with an OCI layout target"
        case unknownSBOMFormat = "an unknown --sbom-format"
        case passphraseFileWithoutKey = "--sign-passphrase-file without --sign-key"
        var testDescription: String { rawValue }
    }

    @Test("refused up front, one error line, nothing pushed, no passphrase printed", arguments: Case.allCases)
    func refused(_ kase: Case) async throws {
        let registry = try await SharedRegistry.shared.plain()
        let reader = RegistryReader(registry: registry, repository: uniqueRepository("refused"))
        try await TempDirectory.with("refused") { scratch in
            let keys = TestKeys(directory: scratch)
            let passphrase = "s3cret-\(UUID().uuidString.prefix(8))"
            let wrong = "guess-\(UUID().uuidString.prefix(8))"
            let wrongFile = try writeFile(Data((wrong + "\n").utf8), "wrong.pass", in: scratch)
            var target = "\(reader.name):1"
            var extra: [String] = []
            var environment: [String: String?] = ["IMAGEPATCH_SIGN_PASSPHRASE": nil]
            switch kase {
            case .encryptedWithoutPassphrase:
                extra = ["--sign-key", try await keys.encrypted("locked", passphrase: passphrase).key]
            case .wrongPassphraseVariable:
                extra = ["--sign-key", try await keys.encrypted("locked", passphrase: passphrase).key]
                environment["IMAGEPATCH_SIGN_PASSPHRASE"] = wrong
            case .wrongPassphraseFile:
                extra = ["--sign-key", try await keys.encrypted("locked", passphrase: passphrase).key, "--sign-passphrase-file", wrongFile]
                environment["IMAGEPATCH_SIGN_PASSPHRASE"] = passphrase
            case .cosignWrongPassphrase:
                extra = ["--sign-key", try await keys.cosign("cosign", passphrase: passphrase).key]
                environment["IMAGEPATCH_SIGN_PASSPHRASE"] = wrong
            case .rsaKey:
                extra = ["--sign-key", try await keys.rsa("rsa")]
            case .directory:
                let directory = scratch.appending("key-directory")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
                extra = ["--sign-key", directory]
            case .missingKey:
                extra = ["--sign-key", scratch.appending("no-such.key")]
            case .layoutTarget:
                target = "oci:\(scratch.appending("layout")):1"
                extra = ["--sign-key", try await keys.ecdsa("good").key]
            case .sbomLayoutTarget:
                target = "oci:\(scratch.appending("layout")):1"
                extra = ["--sbom"]
            case .unknownSBOMFormat:
                extra = ["--sbom-format", "spdx,swid"]
            case .passphraseFileWithoutKey:
                extra = ["--sign-passphrase-file", wrongFile, "--sbom"]
            }
            let run = try await ImagePatchCLI.patch(
                source: "\(registry.host)/app:1", agent: "\(registry.host)/agent:7", target: target, json: true, extra: extra,
                environment: environment)
            Expect.oneLineError(run, mentions: [])
            for secret in [passphrase, wrong] {
                #expect(
                    !run.stdoutText.contains(secret) && !run.stderrText.contains(secret), "a passphrase was printed:\n\(run.stderrText)")
            }
            #expect(try await reader.tags().isEmpty, "nothing was pushed")
            #expect(try await reader.manifest("1") == nil)
            if target.hasPrefix("oci:") { Expect.nothingWritten(at: scratch.appending("layout")) }
        }
    }
}
