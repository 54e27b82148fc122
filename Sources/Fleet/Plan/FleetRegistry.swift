import OCI

/// What planning needs from registries. The command line implements it on the registry client
/// (credentials, TLS, retries); tests can implement it in memory. Fleet never knows the transport.
public protocol FleetRegistry: Sendable {
    /// Every tag of the repository `repository` names (its tag and digest are ignored).
    func tags(of repository: DockerReference) async throws -> [String]
    /// The digest of the manifest (index or image manifest) `reference` names, by tag or digest;
    /// a digest given must be checked against the manifest's bytes.
    func digest(of reference: DockerReference) async throws -> Digest
}
