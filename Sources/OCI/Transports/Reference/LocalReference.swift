/// A reference to a local image in skopeo's spelling: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
/// `docker-archive:FILE[:NAME]`. As in skopeo, the path ends at the first colon after the transport.
public struct LocalReference: Sendable, CustomStringConvertible, TransportReference {
    public typealias Transport = LocalTransport

    public let transport: Transport
    public let path: String
    /// TAG for the OCI transports, NAME (a docker reference) for docker-archive.
    public let tag: String?
    public let text: String

    public var description: String { text }
    public var registryHost: String? { nil }

    /// Returns nil when `text` names no local transport (it may be a registry reference).
    public init?(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"),
            let transport = LocalTransport.all.first(where: { $0.name == text[..<colon] })
        else { return nil }
        try self.init(parsing: text, transport: transport)
    }

    /// `text`, which starts with `transport`'s prefix.
    init(parsing text: String, transport: Transport) throws {
        var rest = String(text.dropFirst(transport.prefix.count))
        var tag: String?
        if let separator = rest.firstIndex(of: ":") {
            tag = String(rest[rest.index(after: separator)...])
            rest = String(rest[..<separator])
        }
        guard !rest.isEmpty else { throw OCIError.invalidReference(text, "the \(transport.prefix) path is empty") }
        if let tag, tag.isEmpty { throw OCIError.invalidReference(text, "the tag after the path is empty") }
        if !transport.tagIsDockerName, let tag, !Self.isValidTag(tag) {
            throw OCIError.invalidReference(text, "\(tag.debugDescription) is not a valid tag")
        }
        self.transport = transport
        self.path = rest
        self.tag = tag
        self.text = text
    }

    /// `oci:` tags follow the ref.name grammar loosely: printable, no slashes-only or whitespace.
    static func isValidTag(_ tag: String) -> Bool {
        tag.utf8.count <= 256 && tag.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f }
    }

    /// `maxUnpackedBytes` bounds what unpacking an `oci-archive:` or `docker-archive:` file may
    /// write to disk (`--max-archive-size`); `oci:` layouts are read in place.
    public func openSource(maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws -> ImageSource {
        try transport.source(self, LocalTransportOptions(maxUnpackedBytes: maxUnpackedBytes))
    }

    /// `maxUnpackedBytes` bounds unpacking an existing `oci-archive:` target, whose other tags are kept.
    public func openDestination(maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws -> ImageDestination {
        try transport.destination(self, LocalTransportOptions(maxUnpackedBytes: maxUnpackedBytes))
    }
}
