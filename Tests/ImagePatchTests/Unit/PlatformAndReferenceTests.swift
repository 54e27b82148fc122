import ImagePatch
import OCI
import Testing

@Suite("Platforms and references")
struct PlatformAndReferenceTests {
    @Test(
        "equivalent platforms match",
        arguments: [
            ("linux/arm64", "linux/arm64/v8", true),
            ("linux/aarch64", "linux/arm64/v8", true),
            ("linux/amd64", "linux/amd64/v1", true),
            ("linux/x86_64", "linux/amd64", true),
            ("linux/arm", "linux/arm/v7", true),
            ("linux/arm/v6", "linux/arm/v7", false),
            ("linux/amd64", "linux/arm64", false),
            ("windows/amd64", "linux/amd64", false),
        ])
    func platformMatching(a: String, b: String, expected: Bool) throws {
        #expect(try Platform(parsing: a).matches(try Platform(parsing: b)) == expected)
    }

    @Test("malformed platforms are refused", arguments: ["linux", "linux/", "/amd64", "linux/arm/v7/x", ""])
    func badPlatform(text: String) {
        #expect(throws: OCIError.self) { try Platform(parsing: text) }
    }

    @Test(
        "local references split at the first colon after the transport",
        arguments: [
            ("oci:out", LocalReference.Transport.oci, "out", nil as String?),
            ("oci:/tmp/out:v1", .oci, "/tmp/out", "v1"),
            ("oci-archive:app.tar:1-protected", .ociArchive, "app.tar", "1-protected"),
            ("docker-archive:a.tar.bz2:example.com/falcon:7", .dockerArchive, "a.tar.bz2", "example.com/falcon:7"),
        ])
    func localReference(text: String, transport: LocalReference.Transport, path: String, tag: String?) throws {
        let reference = try #require(try LocalReference(parsing: text))
        #expect(reference.transport == transport)
        #expect(reference.path == path)
        #expect(reference.tag == tag)
    }

    @Test("non-local references are left to other transports", arguments: ["nginx", "nginx:1.25", "docker://x/y:z", "dir:/x"])
    func notLocal(text: String) throws {
        #expect(try LocalReference(parsing: text) == nil)
    }

    @Test("bad local references are refused", arguments: ["oci:", "oci::tag", "oci:dir:", "oci:dir:bad tag"])
    func badLocal(text: String) {
        #expect(throws: OCIError.self) { try LocalReference(parsing: text) }
    }

    @Test(
        "digests are validated before use as file names",
        arguments: [
            "sha256:abc", "sha256:" + String(repeating: "A", count: 64), "md5:" + String(repeating: "a", count: 32),
            "sha256:" + String(repeating: "a", count: 63) + "/", "sha256:../../" + String(repeating: "a", count: 58),
        ])
    func badDigest(text: String) {
        #expect(throws: OCIError.self) { try Digest(parsing: text) }
    }

    @Test func sha256OfKnownInput() {
        #expect(
            Digest.sha256(of: Array("abc".utf8)).description
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(
        "docker names normalise as docker does",
        arguments: [
            ("nginx", "docker.io/library/nginx:latest"),
            ("library/nginx:1", "docker.io/library/nginx:1"),
            ("example.com/a/b", "example.com/a/b:latest"),
            ("localhost:5000/a:2", "localhost:5000/a:2"),
        ])
    func dockerName(name: String, expected: String) {
        #expect(DockerReference.normalized(name) == expected)
    }
}

@Suite("Falcon CIDs")
struct FalconCIDTests {
    @Test(
        "ASCII hex, 32 digits, optionally a dash and 2 more",
        arguments: [
            ("0123456789abcdef0123456789ABCDEF", true),
            ("0123456789abcdef0123456789abcdef-1F", true),
            ("０123456789abcdef0123456789abcdef", false),  // a full-width zero
            ("0123456789abcdef0123456789abcdef-１２", false),
            ("0123456789abcdef0123456789abcdeg", false),
            ("0123456789abcdef0123456789abcde", false),
            ("0123456789abcdef0123456789abcdef-", false),
            ("0123456789abcdef0123456789abcdef-123", false),
            ("0123456789abcdef-0123456789abcdef-12", false),
            ("", false),
        ])
    func cid(text: String, valid: Bool) {
        #expect(Falcon.isValidCID(text) == valid)
    }
}
