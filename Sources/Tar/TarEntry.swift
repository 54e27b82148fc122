/// One header of a tar stream, as libarchive parsed it (or as we want it written).
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symlink, hardlink
        case characterDevice, blockDevice, fifo, socket
    }

    /// The path exactly as stored, not normalised: callers decide what is safe.
    public var path: String
    public var kind: Kind
    public var size: Int64
    /// Permission bits, including setuid/setgid/sticky.
    public var mode: UInt32
    public var uid: Int64
    public var gid: Int64
    public var modificationTime: Int64
    /// Symlink target, or for a hardlink the path of the entry it links to.
    public var linkTarget: String?

    public init(path: String, kind: Kind, size: Int64 = 0, mode: UInt32, uid: Int64 = 0, gid: Int64 = 0,
                modificationTime: Int64 = 0, linkTarget: String? = nil) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.linkTarget = linkTarget
    }
}

public struct TarError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
