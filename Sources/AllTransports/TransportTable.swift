import OCI
import Registry

/// Every transport imagepatch reads and writes, in the manner of containers/image's
/// `transports/alltransports`: one registration per transport, each declared beside its transport
/// (`LocalTransport.oci`, `RegistryTransport.registration`, …). The command line resolves
/// references, scopes `--creds`, builds its help and its "unknown transport" error from this table
/// alone, so a new transport is one new file and one line: in `LocalTransport.all` for a local
/// one, in `all` below for one that lives elsewhere.
public enum TransportTable {
    public typealias Registration = TransportRegistration<TransportContext>

    /// The registry, which also takes references without a transport name.
    public static let fallback: Registration = RegistryTransport.registration.adapted { $0.registry }

    /// In the order the errors list them; the help lists the fallback first.
    public static let all: [Registration] = LocalTransport.all.map { $0.registration.adapted { $0.local } } + [fallback]

    /// The transport whose prefix `reference` starts with, or nil when it names none.
    public static func named(in reference: String) -> Registration? {
        all.first { reference.hasPrefix($0.prefix) }
    }

    /// The transport that opens `reference`: the one it names, else the registry, unless it can only
    /// name a transport imagepatch does not have.
    public static func transport(for reference: String) throws -> Registration {
        if let named = named(in: reference) { return named }
        try refuseUnknownTransport(reference)
        return fallback
    }

    /// The registry whose credentials go with `reference`, or nil for a local image. One that its
    /// own transport refuses is read with the registry grammar, as it always was (the run then stops
    /// at the transport's error).
    public static func registryHost(of reference: String) -> String? {
        if let named = named(in: reference), let parsed = try? named.parse(reference) { return parsed.registryHost }
        return (try? fallback.parse(reference))?.registryHost
    }

    /// `name:tag` is a registry reference; `word:/path`, `word:./path` or one of skopeo's other
    /// transports can only be a transport imagepatch does not have.
    static func refuseUnknownTransport(_ text: String) throws {
        let prefix = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text
        let rest = text.dropFirst(prefix.count + 1)
        let looksLikeTransport = rest.hasPrefix("/") || rest.hasPrefix(".")
        if UnsupportedTransports.all.contains(prefix) || looksLikeTransport {
            throw OCIError.invalidReference(text, "unknown or unsupported transport \(prefix): (use \(listed(all.map(\.prefix), "or")))")
        }
    }

    /// The references paragraph of `patch --help`.
    public static var referencesHelp: String {
        "References: " + ([fallback] + all.filter { $0.prefix != fallback.prefix }).map(\.syntax).joined(separator: ", ") + "."
    }

    /// `--max-archive-size`'s help, naming the transports it bounds.
    public static var maxArchiveSizeHelp: String {
        let archives = LocalTransport.all.filter(\.unpacksArchive).map(\.prefix)
        let article = archives.first?.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        return "The most \(article) \(listed(archives, "or")) image may unpack to (bytes, or with K, M, G, T: powers of 1024; default 4G)."
    }

    /// "a, b or c".
    static func listed(_ items: [String], _ conjunction: String) -> String {
        guard let last = items.last, items.count > 1 else { return items.joined() }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
