import Foundation
import Testing

/// Writing into an OCI layout that already holds other tags.
@Suite("Writing into an existing layout")
struct ExistingLayoutTests {
    static func tags(_ layout: String) throws -> [String] {
        try LayoutFiles(directory: layout).indexJSON().manifests.compactMap {
            $0.annotations?["org.opencontainers.image.ref.name"]
        }
    }

    @Test("a new tag keeps the existing one; re-writing a tag replaces its entry")
    func tagsKeptAndReplaced() async throws {
        let fixtures = try await Fixtures.ready()
        let agent = fixtures.oci("agent-oci", "7")
        try await TempDirectory.with("existing-layout") { tmp in
            let layout = tmp.appending("out")
            let files = LayoutFiles(directory: layout)

            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "single"), agent: agent,
                target: "oci:\(layout):first")
            let first = try files.entry(tag: "first")
            try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "cmd-only"), agent: agent,
                target: "oci:\(layout):second")
            #expect(try Self.tags(layout).sorted() == ["first", "second"])
            #expect(try files.entry(tag: "first") == first)
            let second = try files.entry(tag: "second")
            #expect(second.digest != first.digest)

            // Same tag again, from another source: one "second" entry, now naming the new image.
            let rewrite = try await ImagePatchCLI.patchOrThrow(
                source: fixtures.oci("app-oci", "1"), agent: agent,
                target: "oci:\(layout):second", json: true)
            #expect(try Self.tags(layout).sorted() == ["first", "second"])
            let replaced = try files.entry(tag: "second")
            #expect(replaced.digest != second.digest)
            #expect(replaced.digest == (try Oracles.jsonObject(rewrite.stdout)["digest"] as? String))
            #expect(try files.entry(tag: "first") == first)

            for tag in ["first", "second"] {
                let raw = try await Oracles.skopeoInspectRaw("oci:\(layout):\(tag)")
                #expect(sha256Digest(raw) == (try files.entry(tag: tag)).digest)
                try await Oracles.skopeoCopyAll("oci:\(layout):\(tag)")
            }
        }
    }
}
