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
    /// Symlink target, or for a hardlink the path of the entry it links to, byte for byte: a
    /// symlink target is any bytes, not necessarily UTF-8, and must come out as it went in.
    public var linkTargetBytes: [UInt8]?

    /// The link target as text, for callers that compare it with names (which are UTF-8);
    /// bytes that are not UTF-8 read as U+FFFD here, so anything that writes a target uses the bytes.
    public var linkTarget: String? {
        get { linkTargetBytes.map { String(decoding: $0, as: UTF8.self) } }
        set { linkTargetBytes = newValue.map { Array($0.utf8) } }
    }

    public init(
        path: String, kind: Kind, size: Int64 = 0, mode: UInt32, uid: Int64 = 0, gid: Int64 = 0,
        modificationTime: Int64 = 0, linkTarget: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.linkTargetBytes = linkTarget.map { Array($0.utf8) }
    }
}

public struct TarError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
