/// A reference to a local image in skopeo's spelling: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
/// `docker-archive:FILE[:NAME]`. As in skopeo, the path ends at the first colon after the transport.
public struct LocalReference: Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable {
        case oci = "oci"
        case ociArchive = "oci-archive"
        case dockerArchive = "docker-archive"
    }

    public let transport: Transport
    public let path: String
    /// TAG for the OCI transports, NAME (a docker reference) for docker-archive.
    public let tag: String?
    public let text: String

    public var description: String { text }

    /// Returns nil when `text` names no local transport (it may be a registry reference).
    public init?(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"),
              let transport = Transport(rawValue: String(text[..<colon])) else { return nil }
        var rest = String(text[text.index(after: colon)...])
        var tag: String?
        if let separator = rest.firstIndex(of: ":") {
            tag = String(rest[rest.index(after: separator)...])
            rest = String(rest[..<separator])
        }
        guard !rest.isEmpty else { throw OCIError.invalidReference(text, "the \(transport.rawValue): path is empty") }
        if let tag, tag.isEmpty { throw OCIError.invalidReference(text, "the tag after the path is empty") }
        if transport != .dockerArchive, let tag, !Self.isValidTag(tag) {
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
        switch transport {
        case .oci: try OCILayoutSource(directory: path, tag: tag, reference: text)
        case .ociArchive: try OCIArchiveTransport.openSource(file: path, tag: tag, reference: text, maxUnpackedBytes: maxUnpackedBytes)
        case .dockerArchive: try DockerArchiveSource(file: path, name: tag, reference: text, maxUnpackedBytes: maxUnpackedBytes)
        }
    }

    /// `maxUnpackedBytes` bounds unpacking an existing `oci-archive:` target, whose other tags are kept.
    public func openDestination(maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes) throws -> ImageDestination {
        switch transport {
        case .oci: try OCILayoutWriter(directory: path, tag: tag, reference: text)
        case .ociArchive: try OCIArchiveWriter(file: path, tag: tag, reference: text, maxUnpackedBytes: maxUnpackedBytes)
        case .dockerArchive: try DockerArchiveWriter(file: path, name: tag, reference: text)
        }
    }
}
