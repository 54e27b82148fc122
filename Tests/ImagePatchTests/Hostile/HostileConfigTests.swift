import Foundation
import Testing

/// Configs a careless or hostile builder writes, patched end to end.
@Suite("Hostile configs")
struct HostileConfigTests {
    @Test("repeated FALCONCTL_OPTS entries become one, and 100k labels survive")
    func repeatedEnvAndManyLabels() async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("hostile-config") { tmp in
            let labelCount = 100_000
            let source = try HostileLayout.make(from: fixtures, at: tmp.appending("in")) { runtime in
                runtime["Env"] = ["FALCONCTL_OPTS=--old-one", "PATH=/bin", "FALCONCTL_OPTS=--old-two", "FALCONCTL_OPTS"]
                var labels: [String: String] = [:]
                for i in 0..<labelCount { labels["label.\(i)"] = "\(i)" }
                runtime["Labels"] = labels
            }
            let target = tmp.appending("out")
            try await ImagePatchCLI.patchOrThrow(source: source, agent: fixtures.oci("agent-oci", "7"), target: "oci:\(target):p")
            let files = LayoutFiles(directory: target)
            let config = try files.config(try files.manifest(try files.entry(tag: "p").digest).config.digest)
            let env = try #require(config.config.Env)
            #expect(
                env.filter { $0 == "FALCONCTL_OPTS" || $0.hasPrefix("FALCONCTL_OPTS=") }
                    == ["FALCONCTL_OPTS=--cid=\(ImagePatchCLI.cid)"])
            #expect(env.first == "FALCONCTL_OPTS=--cid=\(ImagePatchCLI.cid)", "replaced in place: \(env)")
            #expect(env.contains("PATH=/bin"))
            let labels = try #require(config.config.Labels)
            #expect(labels.count == labelCount + 9, "the image's labels and imagepatch's nine")
            #expect(labels["label.99999"] == "99999")
        }
    }
}
