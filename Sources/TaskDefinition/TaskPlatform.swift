import ImagePatch
import JSON
import OCI

/// The platform a task's containers run on, from `runtimePlatform`. It picks the falcon loader
/// and which platform image of a multi-arch image to read.
enum TaskPlatform {
    static func of(_ task: JSONObject) throws -> Platform {
        let runtime = task["runtimePlatform"]?.objectValue
        if let family = runtime?["operatingSystemFamily"]?.stringValue, family != "LINUX" {
            throw TaskDefinitionError.unsupportedOperatingSystem(family)
        }
        // ECS runs X86_64 when the task does not say.
        switch runtime?["cpuArchitecture"]?.stringValue ?? "X86_64" {
        case "X86_64": return Platform(os: "linux", architecture: "amd64")
        case "ARM64": return Platform(os: "linux", architecture: "arm64", variant: "v8")
        case let other: throw TaskDefinitionError.unsupportedArchitecture(other)
        }
    }
}
