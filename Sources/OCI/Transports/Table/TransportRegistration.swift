/// One transport as the transport table lists it, in the manner of containers/image's
/// `transports.Register`: the prefix its references start with, how they are written (for the
/// help), its parser, and how a reference becomes a source or a destination. Each registration is
/// declared beside its transport; the command line's table (`AllTransports`) lists them all.
///
/// `Context` is what opening needs: `LocalTransportOptions` for the local transports, the run's
/// `RegistryTransport` for `docker://`. The table adapts each registration to one context that
/// holds them all (`adapted`).
public struct TransportRegistration<Context>: Sendable, CustomStringConvertible {
    /// The name before the separator: `oci`, `docker`.
    public let name: String
    /// What a reference of this transport starts with: `oci:`, `docker://`.
    public let prefix: String
    /// How its references are written, as the help lists them: `oci:DIR[:TAG]`.
    public let syntax: String
    /// Images on this machine: no registry credentials go with them, and ECS cannot pull them.
    public let isLocal: Bool
    /// Checks a whole reference (prefix included); throws `OCIError.invalidReference`.
    public let parse: @Sendable (String) throws -> any TransportReference
    public let openSource: @Sendable (_ reference: String, _ context: Context) async throws -> any ImageSource
    public let openDestination: @Sendable (_ reference: String, _ context: Context) async throws -> any ImageDestination

    public init(
        name: String, prefix: String, syntax: String, isLocal: Bool,
        parse: @escaping @Sendable (String) throws -> any TransportReference,
        openSource: @escaping @Sendable (String, Context) async throws -> any ImageSource,
        openDestination: @escaping @Sendable (String, Context) async throws -> any ImageDestination
    ) {
        self.name = name
        self.prefix = prefix
        self.syntax = syntax
        self.isLocal = isLocal
        self.parse = parse
        self.openSource = openSource
        self.openDestination = openDestination
    }

    public var description: String { prefix }

    /// The same transport, opened with the part of a larger context that it needs.
    public func adapted<Outer>(_ part: @escaping @Sendable (Outer) -> Context) -> TransportRegistration<Outer> {
        let (openSource, openDestination) = (self.openSource, self.openDestination)
        return TransportRegistration<Outer>(
            name: name, prefix: prefix, syntax: syntax, isLocal: isLocal, parse: parse,
            openSource: { try await openSource($0, part($1)) },
            openDestination: { try await openDestination($0, part($1)) })
    }
}

/// A reference as its transport parsed it.
public protocol TransportReference: Sendable {
    /// The registry whose credentials go with the reference; nil for an image on this machine.
    var registryHost: String? { get }
}

extension DockerReference: TransportReference {
    public var registryHost: String? { registry }
}
