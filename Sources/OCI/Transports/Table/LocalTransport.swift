/// A transport whose images are files on this machine, written as skopeo writes them:
/// `NAME:PATH[:TAG]`, the path ending at the first colon after the name (`LocalReference`).
/// Each is declared beside its source and destination (`LocalTransport.oci` in `Layout/`, …) and
/// listed once in `all`, which is where the command line's table and the task definition patchers
/// find them.
public struct LocalTransport: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    /// How its references are written, as the help lists them: `oci:DIR[:TAG]`.
    public let syntax: String
    /// True when what follows the path is a Docker name (docker-archive's NAME, checked where it is
    /// used), false for an OCI tag (`org.opencontainers.image.ref.name`), checked by the parser.
    public let tagIsDockerName: Bool
    /// Reading it unpacks a file, bounded by `LocalTransportOptions.maxUnpackedBytes`
    /// (`--max-archive-size`).
    public let unpacksArchive: Bool
    let source: @Sendable (LocalReference, LocalTransportOptions) throws -> any ImageSource
    let destination: @Sendable (LocalReference, LocalTransportOptions) throws -> any ImageDestination

    /// Every local transport, in the order the help and the errors list them.
    public static let all: [LocalTransport] = [.oci, .ociArchive, .dockerArchive]

    public init(
        name: String, syntax: String, tagIsDockerName: Bool = false, unpacksArchive: Bool,
        source: @escaping @Sendable (LocalReference, LocalTransportOptions) throws -> any ImageSource,
        destination: @escaping @Sendable (LocalReference, LocalTransportOptions) throws -> any ImageDestination
    ) {
        self.name = name
        self.syntax = syntax
        self.tagIsDockerName = tagIsDockerName
        self.unpacksArchive = unpacksArchive
        self.source = source
        self.destination = destination
    }

    public var prefix: String { name + ":" }
    public var description: String { prefix }

    public static func == (left: LocalTransport, right: LocalTransport) -> Bool { left.name == right.name }

    /// This transport as the table lists it.
    public var registration: TransportRegistration<LocalTransportOptions> {
        let transport = self
        return TransportRegistration(
            name: name, prefix: prefix, syntax: syntax, isLocal: true,
            parse: { try LocalReference(parsing: $0, transport: transport) },
            openSource: { try transport.source(try LocalReference(parsing: $0, transport: transport), $1) },
            openDestination: { try transport.destination(try LocalReference(parsing: $0, transport: transport), $1) })
    }

    /// Whether a reference names an image on this machine: by a local transport imagepatch has,
    /// or by one of skopeo's local stores (`dir:`, `containers-storage:`, `docker-daemon:`).
    public static func namesLocalImage(_ reference: String) -> Bool {
        (all.map(\.name) + UnsupportedTransports.local).contains { reference.hasPrefix($0 + ":") }
    }
}

/// What opening a local image may use.
public struct LocalTransportOptions: Sendable {
    /// What unpacking an `oci-archive:` or `docker-archive:` file may write to disk
    /// (`--max-archive-size`); also bounds unpacking an existing `oci-archive:` target, whose other
    /// tags are kept.
    public var maxUnpackedBytes: Int64

    public init(maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) {
        self.maxUnpackedBytes = maxUnpackedBytes
    }
}
