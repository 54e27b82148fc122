import Hashing
import JSON
import OCI

/// The agent image an SBOM describes: what its SPDX package (and CycloneDX component) is made of.
public struct AgentImagePackage: Sendable, Equatable {
    /// The repository, `HOST/REPO` (as in `registry.example.com/security/agent`).
    public let repository: String
    public let digest: Digest
    /// The image's version label (`org.opencontainers.image.version`), when it has one.
    public let version: String?

    public init(repository: String, digest: Digest, version: String? = nil) {
        self.repository = repository
        self.digest = digest
        self.version = version
    }

    /// `pkg:oci/NAME@sha256%3A…?repository_url=HOST/REPO` (the purl "oci" type: the name is the last
    /// path segment, lowercase; the version is the digest).
    public var purl: String {
        let name = repository.split(separator: "/").last.map { String($0).lowercased() } ?? repository
        return
            "pkg:oci/\(percentEncoded(name))@\(percentEncoded(digest.description))?repository_url=\(percentEncoded(repository, keeping: "/"))"
    }
}

/// The SBOM of the content imagepatch adds, as SPDX 2.3 JSON or CycloneDX 1.5 JSON: one package (the
/// agent image) that contains one file entry per regular file of the agent layer, with SHA-256 and
/// the SHA-1 that SPDX requires. Built incrementally, so the layer writer can feed it during its
/// single streaming pass. Documents are deterministic: files sorted by path, IDs derived from paths,
/// the time given.
public struct SBOMBuilder: Sendable {
    public static let spdxMediaType = "application/spdx+json"
    public static let cycloneDXMediaType = "application/vnd.cyclonedx+json"
    /// Files in one document. Agent layers hold thousands; the bound keeps a hostile layer from making
    /// an SBOM larger than a manifest-sized blob can reasonably be.
    public static let maxFiles = 200_000

    public let documentName: String
    public let namespace: String
    public let created: Timestamp
    public let creatorTool: String
    public let package: AgentImagePackage
    private var files: [String: FileChecksums] = [:]

    /// - Parameters:
    ///   - namespace: a URI unique to this document (SPDX requires one), e.g. derived from the patched
    ///     manifest's digest so it is stable for the same result.
    ///   - creatorTool: `imagepatch-VERSION`.
    public init(documentName: String, namespace: String, created: Timestamp, creatorTool: String, package: AgentImagePackage) {
        self.documentName = documentName
        self.namespace = namespace
        self.created = created
        self.creatorTool = creatorTool
        self.package = package
    }

    public var fileCount: Int { files.count }

    /// Records a regular file of the layer, by its path in the image (`opt/agent/bin/agent`, with or
    /// without a leading `/` or `./`). The same path twice keeps the last checksums, as a tar's later
    /// entry overrides an earlier one.
    public mutating func add(path: String, checksums: FileChecksums) throws(AttestationError) {
        let name = Self.spdxFileName(path)
        guard name != "./" else { throw .malformed(place: "the SBOM", reason: "a file has an empty path") }
        if files[name] == nil, files.count >= Self.maxFiles {
            throw .tooManyEntries(place: "the SBOM", limit: Self.maxFiles)
        }
        files[name] = checksums
    }

    public mutating func add(path: String, sha256Hex: String, sha1Hex: String) throws(AttestationError) {
        try add(path: path, checksums: FileChecksums(sha256Hex: sha256Hex, sha1Hex: sha1Hex))
    }

    /// SPDX names files by their path relative to the package root, starting with `./`.
    static func spdxFileName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("./") || trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst(trimmed.hasPrefix("/") ? 1 : 2) }
        return "./" + trimmed
    }

    /// A stable SPDXID for a path: `SPDXRef-File-` and the first 16 hex digits of its SHA-256 (SPDXIDs
    /// allow only letters, digits, `.` and `-`, which paths do not respect).
    static func fileID(_ name: String) -> String { "SPDXRef-File-" + DigestHasher.hex(.sha256, of: Array(name.utf8)).prefix(16) }

    public static let packageID = "SPDXRef-Package-agent-image"

    /// The package verification code of SPDX 2.3 §7.9: SHA-1 over the sorted SHA-1 hex values of its files.
    var verificationCode: String {
        FileChecksums.of(Array(files.values.map(\.sha1Hex).sorted().joined().utf8)).sha1Hex
    }

    /// File names sorted by their bytes, as the documents list them.
    private var sortedNames: [String] { files.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }

    /// SPDX 2.3: the document DESCRIBES the package, which CONTAINS each file.
    public func spdxJSON() -> [UInt8] {
        let names = sortedNames
        var ids = Set<String>()
        var fileEntries = [JSONValue]()
        var relationships: [JSONValue] = [relationship("SPDXRef-DOCUMENT", "DESCRIBES", Self.packageID)]
        for name in names {
            let checksums = files[name]!
            var id = Self.fileID(name)
            // Two paths sharing 64 bits of SHA-256 is improbable; stay correct anyway.
            while ids.contains(id) { id += "-1" }
            ids.insert(id)
            fileEntries.append(
                .object(
                    JSONObject([
                        ("fileName", .string(name)),
                        ("SPDXID", .string(id)),
                        ("checksums", .array([checksum("SHA1", checksums.sha1Hex), checksum("SHA256", checksums.sha256Hex)])),
                        ("licenseConcluded", .string("NOASSERTION")),
                        ("copyrightText", .string("NOASSERTION")),
                    ])))
            relationships.append(relationship(Self.packageID, "CONTAINS", id))
        }
        var packageObject = JSONObject([
            ("name", .string(package.repository)),
            ("SPDXID", .string(Self.packageID)),
        ])
        if let version = package.version { packageObject["versionInfo"] = .string(version) }
        packageObject["downloadLocation"] = .string("NOASSERTION")
        packageObject["filesAnalyzed"] = .bool(true)
        packageObject["packageVerificationCode"] = .object(JSONObject([("packageVerificationCodeValue", .string(verificationCode))]))
        packageObject["checksums"] = .array([checksum(package.digest.algorithm == .sha256 ? "SHA256" : "SHA512", package.digest.hex)])
        packageObject["licenseConcluded"] = .string("NOASSERTION")
        packageObject["licenseDeclared"] = .string("NOASSERTION")
        packageObject["copyrightText"] = .string("NOASSERTION")
        packageObject["primaryPackagePurpose"] = .string("CONTAINER")
        packageObject["externalRefs"] = .array([
            .object(
                JSONObject([
                    ("referenceCategory", .string("PACKAGE-MANAGER")),
                    ("referenceType", .string("purl")),
                    ("referenceLocator", .string(package.purl)),
                ]))
        ])
        return JSONValue.object(
            JSONObject([
                ("spdxVersion", .string("SPDX-2.3")),
                ("dataLicense", .string("CC0-1.0")),
                ("SPDXID", .string("SPDXRef-DOCUMENT")),
                ("name", .string(documentName)),
                ("documentNamespace", .string(namespace)),
                (
                    "creationInfo",
                    .object(
                        JSONObject([
                            ("created", .string(created.description)),
                            ("creators", .array([.string("Tool: \(creatorTool)")])),
                        ]))
                ),
                ("packages", .array([.object(packageObject)])),
                ("files", .array(fileEntries)),
                ("relationships", .array(relationships)),
            ])
        ).serialized(indent: 2)
    }

    /// CycloneDX 1.5: the agent image is the `container` component the BOM describes
    /// (metadata.component), and its files are the BOM's `file` components, as syft writes container
    /// images. The serial number is a UUID derived from the namespace, so the same inputs give the
    /// same document.
    public func cycloneDXJSON() -> [UInt8] {
        let fileComponents = sortedNames.map { name -> JSONValue in
            let checksums = files[name]!
            return .object(
                JSONObject([
                    ("type", .string("file")),
                    ("bom-ref", .string(Self.fileID(name))),
                    ("name", .string(name)),
                    ("hashes", .array([cycloneDXHash("SHA-1", checksums.sha1Hex), cycloneDXHash("SHA-256", checksums.sha256Hex)])),
                ]))
        }
        var image = JSONObject([
            ("type", .string("container")),
            ("bom-ref", .string(Self.packageID)),
            ("name", .string(package.repository)),
        ])
        if let version = package.version { image["version"] = .string(version) }
        image["hashes"] = .array([cycloneDXHash(package.digest.algorithm == .sha256 ? "SHA-256" : "SHA-512", package.digest.hex)])
        image["purl"] = .string(package.purl)
        let tool = JSONObject([("type", .string("application")), ("name", .string(creatorTool))])
        return JSONValue.object(
            JSONObject([
                ("bomFormat", .string("CycloneDX")),
                ("specVersion", .string("1.5")),
                ("serialNumber", .string(serialNumber)),
                ("version", .integer(1)),
                (
                    "metadata",
                    .object(
                        JSONObject([
                            ("timestamp", .string(created.description)),
                            ("tools", .object(JSONObject([("components", .array([.object(tool)]))]))),
                            ("component", .object(image)),
                        ]))
                ),
                ("components", .array(fileComponents)),
            ])
        ).serialized(indent: 2)
    }

    /// `urn:uuid:` and a version-8 (custom) UUID made of the namespace's SHA-256.
    var serialNumber: String {
        var bytes = Array(DigestHasher.hex(.sha256, of: Array(namespace.utf8)).utf8.prefix(32))
        bytes[12] = UInt8(ascii: "8")
        let variant = Array("89ab".utf8)
        bytes[16] = variant[Int(bytes[16]) % 4]
        let hex = String(decoding: bytes, as: UTF8.self)
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20),
        ]
        return "urn:uuid:" + parts.joined(separator: "-")
    }

    private func cycloneDXHash(_ algorithm: String, _ value: String) -> JSONValue {
        .object(JSONObject([("alg", .string(algorithm)), ("content", .string(value))]))
    }

    private func checksum(_ algorithm: String, _ value: String) -> JSONValue {
        .object(JSONObject([("algorithm", .string(algorithm)), ("checksumValue", .string(value))]))
    }

    private func relationship(_ element: String, _ type: String, _ related: String) -> JSONValue {
        .object(
            JSONObject([
                ("spdxElementId", .string(element)),
                ("relationshipType", .string(type)),
                ("relatedSpdxElement", .string(related)),
            ]))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and those in `keeping`).
func percentEncoded(_ text: String, keeping: String = "") -> String {
    let kept = Set(keeping.utf8)
    var out = ""
    for byte in text.utf8 {
        let isUnreserved =
            (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
        if isUnreserved || kept.contains(byte) {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let digits = Array("0123456789ABCDEF")
            out += "%\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0f)])"
        }
    }
    return out
}
