import Fleet
import Testing

@Suite("Fleet: semantic versions")
struct SemanticVersionTests {
    static func newest(_ tags: [String]) -> [String] {
        tags.compactMap(SemanticVersion.init(tag:)).sorted(by: SemanticVersion.newestFirst).map(\.text)
    }

    @Test("numbers compare as numbers: 1.10.0 is newer than 1.9.0 and 1.2.0")
    func numeric() {
        #expect(Self.newest(["1.2.0", "1.10.0", "1.9.0"]) == ["1.10.0", "1.9.0", "1.2.0"])
        #expect(Self.newest(["10.0.0", "9.99.99", "100.0.0"]) == ["100.0.0", "10.0.0", "9.99.99"])
        #expect(Self.newest(["1.0.99999999999999999999999", "1.0.100000000000000000000000"]).first == "1.0.100000000000000000000000")
    }

    @Test("semver 2.0.0's own example order of pre-releases")
    func preReleases() {
        let ordered = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0",
        ]
        #expect(Self.newest(ordered.shuffled()) == ordered.reversed())
    }

    @Test(
        "build metadata is ignored; equal precedence is ordered by tag text",
        arguments: [
            (["1.0.0+b2", "1.0.0+b1", "v1.0.0", "1.0.0"], ["1.0.0", "1.0.0+b1", "1.0.0+b2", "v1.0.0"]),
            (["v2.0.0", "1.99.0"], ["v2.0.0", "1.99.0"]),
            (["7", "7.1", "6.9.9"], ["7.1", "7", "6.9.9"]),
        ])
    func ties(input: [String], expected: [String]) {
        #expect(Self.newest(input) == expected)
    }

    @Test(
        "tags that are not versions",
        arguments: [
            "latest", "stable", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01",
            "1.2.3+", "1..2", "v", "", "V1.2.3", "1.2.3-a..b", "1.2.3.4-rc",
        ])
    func notVersions(tag: String) {
        #expect(SemanticVersion(tag: tag) == nil)
    }

    @Test("versions", arguments: ["1.2.3", "v1.2.3", "0.0.0", "1.2.3-rc.1+build.5", "1.2.3-0a", "1", "1.2", "1.2.3-x-y-z.--"])
    func versions(tag: String) {
        #expect(SemanticVersion(tag: tag) != nil)
    }
}
