import ArgumentParser
import Foundation
import ImagePatch
import Registry

/// `imagepatch logout`, as podman has it: the registry's entry leaves the auth file `login` writes
/// (the file replaced atomically, its other entries kept), or, with `--all`, every entry does.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove a registry's credentials (or, with --all, every registry's) from the containers auth file.",
        discussion: """
            The file is the one login writes: --authfile, else $REGISTRY_AUTH_FILE, else \
            $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/UID/auth.json without XDG_RUNTIME_DIR). \
            Its other fields (credHelpers, credsStore, ...) are kept.
            """)

    @Argument(help: "The registry: HOST[:PORT] (docker.io for Docker Hub).")
    var registry: String?

    @Option(
        name: .customLong("authfile"),
        help: "The auth file to edit (default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json).")
    var authFile: String?

    @Flag(name: .shortAndLong, help: "Remove the credentials of every registry.")
    var all = false

    func run() async throws {
        _ = CommandSupport.makeLogger(verbose: false)
        try await CommandSupport.run {
            if all, registry != nil { throw PatchError.invalidOption("--all", "takes no registry") }
            if !all, registry == nil { throw PatchError.invalidOption("logout", "needs a registry, or --all") }
            let key = try registry.map(AuthFileEditor.registryKey)
            let path = try authFile ?? AuthFileEditor.defaultPath(environment: ProcessInfo.processInfo.environment)
            var file = try AuthFileEditor(path: path)
            guard let key else {
                if file.removeAll() { try file.save() }
                CommandSupport.printLine("Removed login credentials for all registries")
                return
            }
            guard file.remove(registry: key) else {
                throw RegistryError.credentials("not logged into \(key): \(path) holds no credentials for it")
            }
            try file.save()
            CommandSupport.printLine("Removed login credentials for \(key)")
        }
    }
}
