import ImagePatch
import OCI
import TaskDefinition

/// Any bytes as a task definition, patched with the falcon and the lacework sidecar, offline: the
/// images' Entrypoint and Cmd come from a table, not a registry. What is patched must read back as a
/// task definition, and patching it again must give the same bytes (the README promises both).
enum TaskDefinitionHarness {
    static func run(_ input: [UInt8]) throws {
        guard let document = try? TaskDefinitionDocument(bytes: input, source: "fuzzed task definition") else { return }
        for preset in [AgentPreset.falcon, .lacework] {
            var options = SidecarOptions()
            options.preset = preset
            options.agentImage = "registry.example/agent:1"
            if preset == .falcon { options.agentSettings["cid"] = "0123456789ABCDEF0123456789ABCDEF-12" }
            options.env = [("AGENT_MODE", "fuzz")]
            let patcher = try SidecarPatcher(options: options, resolver: TableResolver())
            guard let first = try? runBlocking({ try await patcher.patch(document) }) else { continue }
            let output = first.document.serialized()
            guard let reread = try? TaskDefinitionDocument(bytes: output, source: "patched task definition") else {
                throw FuzzPropertyViolation("the \(preset) output does not read back: \(JSONHarness.text(output))")
            }
            let second: TaskPatchResult
            do { second = try runBlocking { try await patcher.patch(reread) } } catch {
                throw FuzzPropertyViolation("patching the \(preset) output again fails (\(error)): \(JSONHarness.text(output))")
            }
            try require(
                second.document.serialized() == output,
                "patching the \(preset) output again changes it: \(JSONHarness.text(output))")
        }
    }
}

/// Every image runs `/docker-entrypoint.sh serve`, except those named `…/no-command` (nothing to
/// run) and `…/missing` (unreadable), so both error paths are reachable too.
struct TableResolver: ImageCommandResolver {
    struct Unreadable: Error {}

    func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
        if image.hasSuffix("/missing") { throw Unreadable() }
        if image.hasSuffix("/no-command") { return ResolvedImage(entrypoint: nil, cmd: nil) }
        return ResolvedImage(entrypoint: ["/docker-entrypoint.sh"], cmd: ["serve"])
    }
}
