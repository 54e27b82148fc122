import ImagePatch
import JSON
import OCI

/// The `--json` output of `imagepatch patch`, read back by `taskdef --mode embedded`: where the
/// patched image went, its digest, and per platform the source digest it came from and the launcher.
public struct PatchResultFile: Sendable {
    public struct PlatformEntry: Sendable {
        public let platform: Platform
        public let sourceDigest: Digest
        public let digest: Digest
        public let launcher: [String]?
    }

    public let file: String
    public let target: String
    public let digest: Digest
    /// The source reference, when the result names it (later versions of `patch --json` may);
    /// otherwise containers are matched by digest.
    public let source: String?
    public let platforms: [PlatformEntry]

    /// A patch result lists a few platforms; 4 MiB is far beyond any real one.
    public static let maxBytes = 4 << 20

    public init(bytes: [UInt8], file: String) throws {
        let fail = { (reason: String) in TaskDefinitionError.badPatchResult(file: file, reason: reason) }
        guard bytes.count <= Self.maxBytes else { throw fail("it is larger than \(Self.maxBytes) bytes") }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw fail("\(error)") }
        guard let object = value.objectValue else { throw fail("it is not a JSON object") }
        guard let target = object["target"]?.stringValue, !target.isEmpty else { throw fail("it has no \"target\"") }
        guard let digestText = object["digest"]?.stringValue, let digest = try? Digest(parsing: digestText) else {
            throw fail("it has no valid \"digest\"")
        }
        if object["dryRun"]?.boolValue == true { throw fail("it is a --dry-run result; nothing was written") }
        guard let entries = object["platforms"]?.arrayValue, !entries.isEmpty else { throw fail("it has no \"platforms\"") }
        var platforms: [PlatformEntry] = []
        for (i, entry) in entries.enumerated() {
            guard let platformText = entry["platform"]?.stringValue, let platform = try? Platform(parsing: platformText),
                let source = entry["sourceDigest"]?.stringValue.flatMap({ try? Digest(parsing: $0) }),
                let patched = entry["digest"]?.stringValue.flatMap({ try? Digest(parsing: $0) })
            else {
                throw fail("platforms[\(i)] needs \"platform\", \"sourceDigest\" and \"digest\"")
            }
            var launcher: [String]?
            if let value = entry["launcher"] {
                guard let array = value.arrayValue, !array.isEmpty, array.allSatisfy({ $0.stringValue != nil }) else {
                    throw fail("platforms[\(i)].launcher must be a non-empty array of strings")
                }
                launcher = array.compactMap(\.stringValue)
            }
            platforms.append(PlatformEntry(platform: platform, sourceDigest: source, digest: patched, launcher: launcher))
        }
        self.file = file
        self.target = target
        self.digest = digest
        self.source = object["source"]?.stringValue
        self.platforms = platforms
    }

    func entry(for platform: Platform) -> PlatformEntry? {
        platforms.first { $0.platform.matches(platform) }
    }
}
