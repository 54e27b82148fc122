import Foundation
import Glibc
import IOFoundation
import JSON
import OCI

/// A containers auth file (`auth.json`, the format skopeo and podman read; a Docker config.json is
/// the same shape) opened for `login` and `logout` to edit: `{"auths":{"HOST[:PORT]":{"auth":
/// "base64(user:password)"}}}`. The document is edited as order-preserving JSON, so other entries,
/// other members of `auths` and unknown top-level fields (`credHelpers`, `credsStore`, anything
/// newer) are written back as they were. Writing is atomic (a temporary file beside it, renamed
/// over it), mode 0600, with missing parent directories made 0700. The reading side is
/// `CredentialStore`; the entries it is asked about are the ones `keys(for:)` lists.
public struct AuthFileEditor: Sendable {
    public let path: String
    /// Whether the file was there when it was read.
    public let existed: Bool
    private var document: JSONObject

    /// Reads `path`; a file that is not there is an empty one (it is created by `save`), and so is an
    /// empty file. Anything else that is not a JSON object with an object `auths` is refused, naming
    /// the file, before anything is changed.
    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard lstat(path, &info) == 0 || errno != ENOENT else {
            existed = false
            document = JSONObject()
            return
        }
        existed = true
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path, limit: CredentialStore.authFileBytes, what: "the auth file \(path)") } catch let error
            as IOError
        {
            throw RegistryError.credentials(error.description)
        }
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            document = JSONObject()
            return
        }
        guard let value = try? JSONValue(parsing: bytes), let object = value.objectValue else {
            throw RegistryError.credentials("the auth file \(path) is not a JSON object; fix or remove it (it was left as it is)")
        }
        if let auths = object["auths"], auths.objectValue == nil {
            throw RegistryError.credentials(
                "the auth file \(path) has an \"auths\" that is not a JSON object; fix it (it was left as it is)")
        }
        document = object
    }

    /// The file `login` and `logout` use when not given one, in the order podman uses (and
    /// `CredentialStore.standard` reads): `$REGISTRY_AUTH_FILE`, else
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, else, as podman does without `XDG_RUNTIME_DIR`,
    /// `/run/containers/UID/auth.json`. An `XDG_RUNTIME_DIR` naming no directory is an error,
    /// as in podman, rather than a directory made where the user did not mean.
    public static func defaultPath(environment: [String: String], uid: uid_t = getuid()) throws -> String {
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { return file }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            guard FileSystem.isDirectory(runtime) else {
                throw RegistryError.credentials(
                    "$XDG_RUNTIME_DIR (\(runtime)) is not a directory; create it, unset it, or name the file with --authfile")
            }
            return "\(runtime)/containers/auth.json"
        }
        return "/run/containers/\(uid)/auth.json"
    }

    /// The auth-file key for what the user typed as the registry, as podman normalises it:
    /// `https://` or `http://` and any path after the host are dropped; Docker Hub's names
    /// (`docker.io`, `index.docker.io`, `registry-1.docker.io`) are `docker.io`. Anything that
    /// is not a registry host (a repository, or a name image references would send to Docker Hub)
    /// is refused.
    public static func registryKey(_ argument: String) throws -> String {
        var text = argument
        var hadScheme = false
        for scheme in ["https://", "http://"] where text.lowercased().hasPrefix(scheme) {
            text.removeFirst(scheme.count)
            hadScheme = true
        }
        if hadScheme, let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        let usage = "the registry must be a host, with a port if it has one (ghcr.io, 127.0.0.1:5000, docker.io)"
        guard !text.isEmpty, !text.contains("/") else {
            throw RegistryError.credentials("\(TerminalText.escaped(argument)) is not a registry: \(usage)")
        }
        switch text.lowercased() {
        case DockerReference.dockerHub, "index.docker.io", "registry-1.docker.io": return DockerReference.dockerHub
        default: break
        }
        // The same host an image reference on this registry would name, or it is not one.
        guard let parsed = try? DockerReference(parsing: "\(text)/x"), parsed.registry == text else {
            throw RegistryError.credentials(
                "\(TerminalText.escaped(argument)) is not a registry: \(usage); a name with no dot or port is a Docker Hub repository")
        }
        return text
    }

    /// The entry `login` writes: `{"auth": base64(user:password)}`, replacing the whole entry under
    /// `registry` (an old `identitytoken` there would otherwise win over it, as podman replaces it too).
    public mutating func store(_ credential: Credential, for registry: String) {
        var auths = document["auths"]?.objectValue ?? JSONObject()
        let auth = Data("\(credential.username):\(credential.secret)".utf8).base64EncodedString()
        auths[registry] = .object(JSONObject([("auth", .string(auth))]))
        document["auths"] = .object(auths)
    }

    /// Removes every `auths` entry `CredentialStore` would use for `registry` (its key and the other
    /// spellings Docker tools write: `https://HOST`, Docker Hub's `https://index.docker.io/v1/`, …).
    /// Returns whether there was one.
    public mutating func remove(registry: String) -> Bool {
        guard var auths = document["auths"]?.objectValue else { return false }
        var removed = false
        for key in CredentialStore.keys(for: registry) where auths.removeValue(forKey: key) != nil { removed = true }
        if removed { document["auths"] = .object(auths) }
        return removed
    }

    /// `logout --all`: empties `auths`, keeping every other field. Returns whether it held entries.
    public mutating func removeAll() -> Bool {
        guard let auths = document["auths"]?.objectValue, auths.count > 0 else { return false }
        document["auths"] = .object(JSONObject())
        return true
    }

    /// The credential helper the file names for `registry` (`credHelpers`), which `CredentialStore`
    /// asks before any `auths` entry.
    public func credentialHelper(for registry: String) -> String? {
        guard let helpers = document["credHelpers"]?.objectValue else { return nil }
        return CredentialStore.keys(for: registry).lazy.compactMap { helpers[$0]?.stringValue }.first
    }

    /// Writes the document: parent directories made 0700 where missing, a temporary file of mode
    /// 0600 in the same directory, renamed over `path`.
    public func save() throws {
        do {
            let parent = FileSystem.parentDirectory(of: path)
            if !FileSystem.isDirectory(parent) { try FileSystem.makeDirectories(parent, mode: 0o700) }
            let writer = try AtomicFileWriter(path: path, mode: 0o600)
            try writer.write(JSONValue.object(document).serialized(indent: 2) + [0x0A])
            // Whatever the umask: the file holds passwords.
            guard chmod(writer.temporaryPath, 0o600) == 0 else {
                writer.abandon()
                throw IOError.failed("cannot set the mode of \(writer.temporaryPath): \(systemError())")
            }
            try writer.commit()
        } catch let error as IOError {
            throw RegistryError.credentials("cannot write the auth file \(path): \(error.description)")
        }
    }
}
