/// Transports skopeo has and imagepatch does not. A reference to one is refused with an error that
/// names the transports there are, instead of being read as a registry image (`dir:/x`). A name
/// leaves this list when its transport is registered (a test checks that none is in both).
public enum UnsupportedTransports {
    /// Image stores on this machine: a task definition that names an image this way names a local
    /// image, which ECS cannot pull.
    public static let local = ["containers-storage", "dir", "docker-daemon"]
    /// Refused on the command line too; in a task definition, though, `ostree:1`, `sif:1` and
    /// `tarball:1` are read as the Docker Hub names they also are, as they always were.
    public static let others = ["ostree", "sif", "tarball"]

    public static var all: [String] { local + others }
}
