import Fleet
import Hashing
import OCI

/// Planning's registry as a table: repository -> tag -> digest. Not a registry mock for the
/// transport (that is tested on the real registry): the planner only ever sees this protocol.
struct InMemoryRegistry: FleetRegistry {
    var repositories: [String: [(tag: String, digest: Digest)]]
    var unreachable: Set<String> = []

    init(_ repositories: [String: [String]], unreachable: Set<String> = []) {
        self.repositories = repositories.mapValues { tags in tags.map { ($0, Self.digest(for: $0)) } }
        self.unreachable = unreachable
    }

    static func digest(for tag: String) -> Digest { Digest.sha256(of: Array("image \(tag)".utf8)) }

    struct Failure: Error, CustomStringConvertible { let description: String }

    func tags(of repository: DockerReference) async throws -> [String] {
        let name = "\(repository.registry)/\(repository.repository)"
        if unreachable.contains(name) { throw Failure(description: "connection refused") }
        guard let tags = repositories[name] else { throw Failure(description: "repository not found") }
        return tags.map(\.tag)
    }

    func digest(of reference: DockerReference) async throws -> Digest {
        let name = "\(reference.registry)/\(reference.repository)"
        guard let tags = repositories[name] else { throw Failure(description: "repository not found") }
        if let digest = reference.digest {
            guard tags.contains(where: { $0.digest == digest }) else { throw Failure(description: "manifest unknown") }
            return digest
        }
        guard let entry = tags.first(where: { $0.tag == reference.tag }) else { throw Failure(description: "manifest unknown") }
        return entry.digest
    }
}

func fleetFile(_ text: String, name: String = "fleet.yaml") throws -> FleetFile {
    try FleetFile(bytes: Array(text.utf8), file: name)
}

func parseError(_ text: String) -> String? {
    do {
        _ = try fleetFile(text)
        return nil
    } catch {
        return "\(error)"
    }
}
