import AllTransports
import OCI
import Testing

/// The transport table, in process: every registered transport parses its own references, is
/// chosen by its prefix, and is named by the errors; references without a transport name go to
/// the registry, as before.
@Suite("Transport table")
struct TransportTableTests {
    static let names = TransportTable.all.map(\.name)

    static func registration(_ name: String) throws -> TransportTable.Registration {
        try #require(TransportTable.all.first { $0.name == name })
    }

    @Test("a reference with a transport's prefix goes to that transport and parses", arguments: names)
    func prefixChoosesTransport(name: String) throws {
        let registration = try Self.registration(name)
        let reference = registration.prefix + "example.com/app:1"
        #expect(try TransportTable.transport(for: reference).name == name)
        let parsed = try registration.parse(reference)
        // Credentials go to registries only: a local transport names none.
        #expect(parsed.registryHost == (registration.isLocal ? nil : "example.com"))
        #expect(TransportTable.registryHost(of: reference) == parsed.registryHost)
    }

    @Test("every transport refuses an empty reference and an empty tag, naming the reference", arguments: names)
    func emptyPartsRefused(name: String) throws {
        let registration = try Self.registration(name)
        for text in [registration.prefix, registration.prefix + "app:"] {
            let error = #expect(throws: OCIError.self, "\(text) was accepted") { try registration.parse(text) }
            #expect(error.map { "\($0)" }?.contains(text) == true, "\(String(describing: error)) does not name \(text)")
        }
    }

    @Test("the task definition patchers take every local transport, and only those, for a local image", arguments: names)
    func localMeansLocalToTaskDefinitions(name: String) throws {
        let registration = try Self.registration(name)
        #expect(LocalTransport.namesLocalImage(registration.prefix + "/x") == registration.isLocal)
    }

    @Test(
        "skopeo's local stores are local images to the task definition patchers; its other transports are not",
        arguments: UnsupportedTransports.all)
    func skopeoNamesInTaskDefinitions(name: String) {
        #expect(LocalTransport.namesLocalImage(name + ":/x") == UnsupportedTransports.local.contains(name))
    }

    @Test(
        "a transport imagepatch does not have is refused with every registered one named",
        arguments: UnsupportedTransports.all.map { $0 + ":/x" } + ["foo:/x", "bar:./y", "docker:/x", "dir", "tarball:1"])
    func unknownTransportRefused(text: String) {
        let error = #expect(throws: OCIError.self) { try TransportTable.transport(for: text) }
        let line = error.map { "\($0)" } ?? ""
        let name = text.split(separator: ":").first.map(String.init) ?? text
        #expect(line.contains("unknown or unsupported transport \(name):"), "\(line)")
        for registration in TransportTable.all {
            #expect(line.contains(registration.prefix), "\(line) does not name \(registration.prefix)")
        }
    }

    @Test(
        "references without a transport name are registry references",
        arguments: [
            "nginx", "nginx:1.25", "127.0.0.1:5000/app:1", "docker:foo", "localhost/app",
            "ghcr.io/o/app@sha256:" + String(repeating: "a", count: 64),
        ])
    func bareReferencesGoToTheRegistry(text: String) throws {
        #expect(try TransportTable.transport(for: text).name == TransportTable.fallback.name)
        #expect(TransportTable.fallback.isLocal == false)
    }

    @Test(
        "credentials are scoped to the registry a reference names, and to none for a local one",
        arguments: [
            ("nginx", "docker.io" as String?), ("docker://127.0.0.1:5000/app:1", "127.0.0.1:5000"), ("host.example/app", "host.example"),
            ("oci:/tmp/layout:1", nil), ("oci-archive:app.tar", nil), ("docker-archive:a.tar:example.com/app:1", nil),
        ])
    func credentialScope(text: String, registry: String?) {
        #expect(TransportTable.registryHost(of: text) == registry)
    }

    @Test("names and prefixes are unique, no prefix starts another, none is also listed as unsupported")
    func tableIsConsistent() {
        let prefixes = TransportTable.all.map(\.prefix)
        #expect(Set(Self.names).count == Self.names.count)
        for prefix in prefixes {
            #expect(prefixes.filter { $0.hasPrefix(prefix) } == [prefix], "\(prefix) starts another prefix")
        }
        #expect(Set(Self.names).isDisjoint(with: UnsupportedTransports.all))
        #expect(TransportTable.all.filter(\.isLocal).map(\.name) == LocalTransport.all.map(\.name))
    }
}
