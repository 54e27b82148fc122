import OCI

extension RegistryTransport {
    /// `docker://` as the transport table lists it. References without a transport name
    /// (`nginx:1.25`, `host:5000/app`) are registry references too: the table opens them here.
    public static let registration = TransportRegistration<RegistryTransport>(
        name: "docker", prefix: "docker://", syntax: "[docker://]HOST/REPO[:TAG][@DIGEST] (a registry; the default)",
        isLocal: false,
        parse: { try DockerReference(parsing: $0) },
        openSource: { reference, registry in try await registry.source(reference) },
        openDestination: { reference, registry in try await registry.destination(reference) })
}
