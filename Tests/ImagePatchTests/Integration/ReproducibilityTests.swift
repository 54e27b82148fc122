import Foundation
import Testing

/// The same inputs give the same digests: timestamps come from the inputs, or from SOURCE_DATE_EPOCH.
@Suite("Reproducible output")
struct ReproducibilityTests {
    static let epoch = "1700000000"
    static let epochTime = "2023-11-14T22:13:20Z"

    struct Run {
        let rootDigest: String
        let created: [FixtureArch: String]
    }

    static func patch(into tmp: TempDirectory, name: String, epoch: String?) async throws -> Run {
        let fixtures = try await Fixtures.ready()
        let reference = "oci:\(tmp.appending(name)):p"
        let result = try await ImagePatchCLI.patchOrThrow(
            source: fixtures.oci("app-oci", "1"),
            agent: fixtures.oci("agent-oci", "7"), target: reference,
            json: true, environment: ["SOURCE_DATE_EPOCH": epoch])
        let root = sha256Digest(try await Oracles.skopeoInspectRaw(reference))
        #expect(try Oracles.jsonObject(result.stdout)["digest"] as? String == root)
        var created: [FixtureArch: String] = [:]
        for arch in FixtureArch.allCases {
            let config = try ConfigDoc.decode(try await Oracles.skopeoConfigRaw(reference, overrideArch: arch.rawValue))
            created[arch] = config.created
        }
        return Run(rootDigest: root, created: created)
    }

    @Test("two runs with the same SOURCE_DATE_EPOCH to different targets give identical root digests")
    func sameEpochSameDigest() async throws {
        try await TempDirectory.with("repro") { tmp in
            let first = try await Self.patch(into: tmp, name: "a", epoch: Self.epoch)
            let second = try await Self.patch(into: tmp, name: "b", epoch: Self.epoch)
            #expect(first.rootDigest == second.rootDigest)
            #expect(first.created == [.amd64: Self.epochTime, .arm64: Self.epochTime])
        }
    }

    @Test("another SOURCE_DATE_EPOCH changes the config's created time; without one it comes from the inputs")
    func otherEpochChangesCreated() async throws {
        try await TempDirectory.with("repro-other") { tmp in
            let pinned = try await Self.patch(into: tmp, name: "pinned", epoch: Self.epoch)
            let other = try await Self.patch(into: tmp, name: "other", epoch: "1700000001")
            let unset = try await Self.patch(into: tmp, name: "unset", epoch: nil)
            let again = try await Self.patch(into: tmp, name: "again", epoch: nil)
            #expect(other.created == [.amd64: "2023-11-14T22:13:21Z", .arm64: "2023-11-14T22:13:21Z"])
            #expect(other.rootDigest != pinned.rootDigest)
            // scripts/make-fixtures builds every fixture at SOURCE_DATE_EPOCH=1700000000, so the later
            // of the inputs' created is that time (AgentLayerCacheTests derives it from the inputs).
            #expect(unset.created == [.amd64: Self.epochTime, .arm64: Self.epochTime])
            #expect(unset.rootDigest == again.rootDigest)
        }
    }
}
