import AllTransports
import ImagePatch
import OCI
import Registry

/// Turns a reference as users type it into a transport, through the transport table. The engine
/// never sees which one it got.
struct ReferenceResolver {
    let registry: RegistryTransport
    /// `--max-archive-size`: what a whole `oci-archive:` or `docker-archive:` source may unpack to.
    var maxArchiveBytes: Int64 = Limits.archiveUnpackedBytes

    static let maxArchiveSizeHelp = TransportTable.maxArchiveSizeHelp

    init(registry: RegistryTransport) {
        self.registry = registry
    }

    /// With `--max-archive-size`'s text, when given.
    init(registry: RegistryTransport, maxArchiveSize: String?) throws {
        self.registry = registry
        if let maxArchiveSize { maxArchiveBytes = try CommandLineNumbers.size(maxArchiveSize, option: "--max-archive-size") }
    }

    private var context: TransportContext {
        TransportContext(local: LocalTransportOptions(maxUnpackedBytes: maxArchiveBytes), registry: registry)
    }

    func source(_ text: String) async throws -> any ImageSource {
        try await TransportTable.transport(for: text).openSource(text, context)
    }

    func destination(_ text: String) async throws -> any ImageDestination {
        try await TransportTable.transport(for: text).openDestination(text, context)
    }
}
