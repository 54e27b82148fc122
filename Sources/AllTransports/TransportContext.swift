import OCI
import Registry

/// What opening a reference may need, whatever its transport: the bound on unpacking archives,
/// and the run's registry connections and credentials.
public struct TransportContext: Sendable {
    public var local: LocalTransportOptions
    public var registry: RegistryTransport

    public init(local: LocalTransportOptions = LocalTransportOptions(), registry: RegistryTransport) {
        self.local = local
        self.registry = registry
    }
}
