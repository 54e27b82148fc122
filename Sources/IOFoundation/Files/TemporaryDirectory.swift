/// A directory that is removed when the last owner lets go of it, or when the run is interrupted.
public final class TemporaryDirectory: Sendable {
    public let path: String
    public init(near: String? = nil, prefix: String = "imagepatch") throws {
        path = try FileSystem.makeTemporaryDirectory(near: near, prefix: prefix)
        InterruptCleanup.register(path)
    }
    deinit {
        InterruptCleanup.unregister(path)
        FileSystem.removeTree(path)
    }
}
