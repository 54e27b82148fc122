import Foundation
import HTTP
import IOFoundation
import JSON
import OCI

/// A user name and secret for one registry. `description` never shows the secret.
public struct Credential: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Kind: Sendable { case password, identityToken }
    public let username: String
    public let secret: String
    public let kind: Kind

    public init(username: String, secret: String, kind: Kind = .password) {
        self.username = username
        self.secret = secret
        self.kind = kind
    }

    public var description: String { "credential for \(username.isEmpty ? "(token)" : username)" }
    public var debugDescription: String { description }
    /// Keeps the secret out of `dump` and test failure output too.
    public var customMirror: Mirror { Mirror(self, children: ["username": username]) }

    /// The credential itself, once its fields are known to hold no control characters: they end
    /// up in Authorization headers and token requests, where a CR LF would start a header of its
    /// own. `origin` names where it came from; the error never shows the value.
    func checked(for registry: String, from origin: String) throws -> Credential {
        guard HTTPFieldSafety.isSafeValue(username), HTTPFieldSafety.isSafeValue(secret) else {
            throw RegistryError.credentials("the credential for \(registry) from \(origin) holds control characters; refusing to use it")
        }
        return self
    }
}

/// Where credentials come from, first match wins, as skopeo and docker look them up:
/// `--creds`, `--authfile`, `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json` (else
/// `/run/containers/UID/auth.json`),
/// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, and falconutil's `--pull-token`.
/// Auth files may name credential helpers (`credHelpers`, `credsStore`), run with the
/// `docker-credential-NAME get` protocol. Nothing matching means anonymous.
public struct CredentialStore: Sendable {
    public enum Source: Sendable {
        /// `--creds`: for one registry only, so it never reaches another registry's auth server.
        case explicit(Credential, registry: String)
        case authFile(String)
        case pullToken(JSONObject, origin: String)
    }

    public let sources: [Source]
    /// Where credential helpers are looked up: a PATH-style list, normally `$PATH`. Carried by
    /// the store rather than read from the process environment at run time.
    public let helperSearchPath: String

    public init(sources: [Source], helperSearchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "") {
        self.sources = sources
        self.helperSearchPath = helperSearchPath
    }

    /// The lookup order for a run, from the flags and the environment.
    /// `credsRegistry` is the registry `--creds` is for; without one, `--creds` is not used.
    public static func standard(
        creds: Credential?, credsRegistry: String?, authFile: String?, pullToken: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> CredentialStore {
        var sources: [Source] = []
        if let creds, let credsRegistry { sources.append(.explicit(creds, registry: credsRegistry)) }
        if let authFile { sources.append(.authFile(authFile)) }
        if let token = pullToken {
            guard let data = Data(base64Encoded: token.trimmingCharacters(in: .whitespacesAndNewlines)),
                let value = try? JSONValue(parsing: Array(data)), let object = value.objectValue
            else {
                throw RegistryError.credentials("--pull-token is not a base64-encoded Docker config JSON")
            }
            sources.append(.pullToken(object, origin: "--pull-token"))
        }
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { sources.append(.authFile(file)) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            sources.append(.authFile("\(runtime)/containers/auth.json"))
        } else {
            // Where `login` writes (as podman does) when there is no XDG_RUNTIME_DIR.
            sources.append(.authFile("/run/containers/\(getuid())/auth.json"))
        }
        if let dockerConfig = environment["DOCKER_CONFIG"], !dockerConfig.isEmpty {
            sources.append(.authFile("\(dockerConfig)/config.json"))
        } else if let home = environment["HOME"], !home.isEmpty {
            sources.append(.authFile("\(home)/.docker/config.json"))
        }
        return CredentialStore(sources: sources, helperSearchPath: environment["PATH"] ?? "")
    }

    /// The credential for `registry`, or nil for anonymous access.
    public func credential(for registry: String) throws -> Credential? {
        for source in sources {
            switch source {
            case .explicit(let credential, let only):
                if only == registry { return try credential.checked(for: registry, from: "--creds") }
            case .authFile(let path):
                guard FileManager.default.fileExists(atPath: path) else {
                    continue
                }
                let data: [UInt8]
                do { data = try FileSystem.readFile(path, limit: Self.authFileBytes, what: "the auth file \(path)") } catch let error
                    as IOError
                {
                    throw RegistryError.credentials(error.description)
                }
                guard let value = try? JSONValue(parsing: data), let object = value.objectValue else {
                    throw RegistryError.credentials("the auth file \(path) is not valid JSON")
                }
                if let found = try lookup(object, registry: registry, origin: path) { return found }
            case .pullToken(let object, let origin):
                if let found = try lookup(object, registry: registry, origin: origin) { return found }
            }
        }
        return nil
    }

    /// Auth files hold a few entries; a bigger one is not an auth file.
    static let authFileBytes = 4 << 20

    /// The keys a Docker config may use for a registry: Docker Hub has several spellings.
    static func keys(for registry: String) -> [String] {
        if registry == DockerReference.dockerHub {
            return [
                "https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io",
                "https://registry-1.docker.io",
            ]
        }
        return [registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/v1/", "https://\(registry)/v2/"]
    }

    func lookup(_ config: JSONObject, registry: String, origin: String) throws -> Credential? {
        let keys = Self.keys(for: registry)
        if let helpers = config["credHelpers"]?.objectValue {
            for key in keys {
                if let helper = helpers[key]?.stringValue {
                    return try CredentialHelper(name: helper, searchPath: helperSearchPath).get(serverURL: key, registry: registry)
                }
            }
        }
        if let auths = config["auths"]?.objectValue {
            for key in keys {
                guard let entry = auths[key]?.objectValue else { continue }
                if let credential = try Self.decode(entry, registry: registry, origin: origin) {
                    return try credential.checked(for: registry, from: origin)
                }
            }
        }
        if let store = config["credsStore"]?.stringValue, !store.isEmpty {
            return try CredentialHelper(name: store, searchPath: helperSearchPath).get(serverURL: keys[0], registry: registry)
        }
        return nil
    }

    static func decode(_ entry: JSONObject, registry: String, origin: String) throws -> Credential? {
        if let token = entry["identitytoken"]?.stringValue, !token.isEmpty {
            return Credential(username: entry["username"]?.stringValue ?? "", secret: token, kind: .identityToken)
        }
        if let auth = entry["auth"]?.stringValue, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else {
                throw RegistryError.credentials("the auth entry for \(registry) in \(origin) is not base64 of user:password")
            }
            return Credential(username: String(text[..<colon]), secret: String(text[text.index(after: colon)...]))
        }
        if let user = entry["username"]?.stringValue, let password = entry["password"]?.stringValue {
            return Credential(username: user, secret: password)
        }
        return nil
    }
}
