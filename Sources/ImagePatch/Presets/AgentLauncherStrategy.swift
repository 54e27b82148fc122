import OCI

/// How the command that starts an agent before the application is found. `--launcher` overrides it.
public enum AgentLauncherStrategy: Sendable {
    /// The user must name it with `--launcher`: the agent's layout is unknown.
    case givenByUser
    /// A fixed command. Its program must be in the agent layer when it lies in the install directory.
    case fixed([String])
    /// A program at this path under the install directory, wherever `--install-dir` puts it.
    case inInstallDirectory(String)
    /// Looked up in the agent layer once it is built, per platform.
    case discovered(any LauncherDiscovery)

    /// The launcher known before any layer is built; nil when it is discovered or must be given.
    public func known(installDirectory: String) -> [String]? {
        switch self {
        case .givenByUser, .discovered: nil
        case .fixed(let command): command
        case .inInstallDirectory(let path): [installDirectory + "/" + path]
        }
    }

    /// The launcher to assume where no agent layer can be looked at (a task definition's sidecar, or a
    /// patched image that records none); nil when only the user can name it.
    public func assumed(installDirectory: String, platform: Platform) throws -> [String]? {
        if case .discovered(let discovery) = self {
            return try discovery.standard(installDirectory: installDirectory, platform: platform)
        }
        return known(installDirectory: installDirectory)
    }
}

/// An agent whose launcher depends on what its image holds (and on the platform).
public protocol LauncherDiscovery: Sendable {
    /// The launcher found in the built agent layer; the error says what is missing.
    func find(in files: any AgentFiles, installDirectory: String, platform: Platform, agent: String) throws -> [String]
    /// The form the agent's own deployment guides use, where no layer can be looked at.
    func standard(installDirectory: String, platform: Platform) throws -> [String]
}

/// What a launcher lookup may ask of the built agent layer.
public protocol AgentFiles {
    /// Whether an absolute path exists in the layer, its symbolic links followed.
    func contains(_ absolutePath: String) -> Bool
    /// Relative paths of every entry of the layer.
    var paths: Set<BytePath> { get }
}
