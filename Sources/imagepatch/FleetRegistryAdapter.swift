import Fleet
import OCI
import Registry

/// Planning's view of registries, on the registry transport (credentials, TLS, retries): tags
/// through the paginated tag list, digests through the verified manifest fetch.
struct FleetRegistryAdapter: FleetRegistry {
    let transport: RegistryTransport
    /// `n` for the tag list; nil leaves the page size to the registry.
    let tagsPageSize: Int?

    func tags(of repository: DockerReference) async throws -> [String] {
        let name = DockerReference(registry: repository.registry, repository: repository.repository, tag: nil, digest: nil)
        return try await transport.source(name.description).listTags(pageSize: tagsPageSize)
    }

    func digest(of reference: DockerReference) async throws -> Digest {
        try await transport.source(reference.description).rootManifest().digest
    }
}
