import Foundation
import TestTools
import Testing

/// The .deb, read back with dpkg-deb, unpacked with `dpkg-deb -x` and run with an empty environment.
@Suite struct DebPackageTests {
    @Test func controlFieldsNameTheLinkedLibrariesPackages() async throws {
        let build = try await PackageBuild.shared()
        let info = try await Tools.check("dpkg-deb", ["--info", build.deb]).stdout
        let fields = Dictionary(
            info.split(separator: "\n").compactMap { line -> (String, String)? in
                let text = line.trimmingCharacters(in: .whitespaces)
                guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains(" ") else { return nil }
                return (String(text[..<colon]), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }, uniquingKeysWith: { first, _ in first })
        #expect(fields["Package"] == "imagepatch")
        #expect(fields["Version"] == build.version)
        #expect(fields["Architecture"] == "amd64")
        let depends = (fields["Depends"] ?? "").split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != " " })
        }
        // Debian 12's packages of libarchive.so.13, libcrypto.so.3, libisal.so.2, libzstd.so.1, libcurl.so.4, libz.so.1.
        for package in ["libarchive13", "libssl3", "libisal2", "libzstd1", "libcurl4", "zlib1g", "libc6"] {
            #expect(depends.contains(package), "Depends: \(fields["Depends"] ?? "") lacks \(package)")
        }
    }

    @Test func installsTheBinaryManPageAndCompletionsOwnedByRoot() async throws {
        let build = try await PackageBuild.shared()
        let listing = try await Tools.check("dpkg-deb", ["--contents", build.deb]).stdout
        let entries = listing.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let files = Dictionary(entries.map { (String($0.last ?? ""), (String($0[0]), String($0[1]))) }, uniquingKeysWith: { a, _ in a })
        let expected = [
            "./usr/bin/imagepatch": "-rwxr-xr-x",
            "./usr/share/man/man1/imagepatch.1.gz": "-rw-r--r--",
            "./usr/share/bash-completion/completions/imagepatch": "-rw-r--r--",
            "./usr/share/zsh/vendor-completions/_imagepatch": "-rw-r--r--",
            "./usr/share/fish/vendor_completions.d/imagepatch.fish": "-rw-r--r--",
        ]
        for (path, mode) in expected {
            #expect(files[path]?.0 == mode, "\(path) in\n\(listing)")
        }
        #expect(files.values.allSatisfy { $0.1 == "root/root" }, "\(listing)")
    }

    @Test func unpackedBinaryRunsWithAnEmptyEnvironment() async throws {
        let build = try await PackageBuild.shared()
        let root = try Scratch.directory("deb-root")
        try await Tools.check("dpkg-deb", ["-x", build.deb, root])
        let version = try await Tools.check("\(root)/usr/bin/imagepatch", ["--version"], clearEnvironment: true)
        #expect(version.stdout == build.version + "\n")

        // The man page covers the subcommands and their options, as the parser defines them.
        let man = try await Tools.check("sh", ["-c", "gzip -dc \"$1\"", "sh", "\(root)/usr/share/man/man1/imagepatch.1.gz"]).stdout
        #expect(man.contains(".Dt IMAGEPATCH 1"))
        for text in [".It Em \"patch, patch-image\"", ".It Em inspect", ".It Em run", "Fl -source", "Fl -cid"] {
            #expect(man.contains(text), "the man page lacks \(text)")
        }
        // bash parses its completion script and registers it for imagepatch.
        let bash = try await Tools.check(
            "bash", ["-c", "source \"$1\" && complete -p imagepatch", "bash", "\(root)/usr/share/bash-completion/completions/imagepatch"])
        #expect(bash.stdout.contains("imagepatch"))
        let zsh = try String(contentsOfFile: "\(root)/usr/share/zsh/vendor-completions/_imagepatch", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef imagepatch"))
        let fish = try String(contentsOfFile: "\(root)/usr/share/fish/vendor_completions.d/imagepatch.fish", encoding: .utf8)
        #expect(fish.contains("complete -c 'imagepatch'"))
    }

    /// A .deb must run without a toolchain: a binary that loads libswift*.so is refused (the tests
    /// pass --allow-dynamic-swift for the debug build; the release build links the runtime statically).
    @Test func refusesABinaryThatLoadsTheSwiftRuntime() async throws {
        let out = try Scratch.directory("refused")
        let result = try await Tools.run(
            PackageBuild.root + "/scripts/package", ["--binary", PackageBuild.binary, "--only", "deb", "--out", out])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("--static-swift-stdlib"), "\(result)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }
}
