import ArgumentParser
import ImagePatch

@main
struct ImagePatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagepatch",
        abstract: "Embed a runtime security agent into container images, for every platform, with no Docker and no QEMU.",
        version: ImagePatchVersion.current,
        subcommands: [
            PatchCommand.self, InspectCommand.self, TaskdefCommand.self, K8sCommand.self, FleetCommand.self,
            LoginCommand.self, LogoutCommand.self,
        ])
}
