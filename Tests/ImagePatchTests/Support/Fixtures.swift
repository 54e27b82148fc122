import Foundation

/// The generated test images, built by scripts/make-fixtures once per test process.
struct Fixtures: Sendable {
    let directory: String
    let summary: FixtureSummary

    var appOCI: String { directory + "/app-oci" }
    var appDocker: String { directory + "/app-docker" }
    var agentOCI: String { directory + "/agent-oci" }
    var agentDockerBz2: String { directory + "/agent-docker.tar.bz2" }
    var agentDockerArm64Bz2: String { directory + "/agent-docker-arm64.tar.bz2" }
    var appDockerTar: String { directory + "/app-docker.tar" }
    func hostile(_ name: String) -> String { directory + "/" + name }

    /// `oci:<fixture dir>:<tag>`.
    func oci(_ fixture: String, _ tag: String) -> String { "oci:\(directory)/\(fixture):\(tag)" }

    /// The fixtures, made (or found up to date) on first use. The script is idempotent, but two
    /// copies running at once would race on the output directory, so every caller awaits one run.
    static func ready() async throws -> Fixtures { try await FixtureBuilder.shared.fixtures() }
}

private actor FixtureBuilder {
    static let shared = FixtureBuilder()
    private var task: Task<Fixtures, Error>?

    func fixtures() async throws -> Fixtures {
        if task == nil {
            task = Task {
                let script = RepositoryPaths.makeFixturesScript
                let result = try await ProcessRunner.run(script, [RepositoryPaths.generatedFixtures])
                guard result.succeeded else { throw CommandFailed(result: result) }
                let directory = RepositoryPaths.generatedFixtures
                let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
                return Fixtures(directory: directory, summary: try JSONDecoder().decode(FixtureSummary.self, from: data))
            }
        }
        return try await task!.value
    }
}
