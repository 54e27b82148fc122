import GzipEncoding
import OCI
import Tar

/// One entry of a layer built in memory.
public struct TestFile: Sendable {
    public var path: String
    public var kind: TarEntry.Kind
    public var contents: [UInt8]
    public var mode: UInt32
    public var linkTarget: String?

    public static func file(_ path: String, _ text: String, mode: UInt32 = 0o644) -> TestFile {
        TestFile(path: path, kind: .regular, contents: Array(text.utf8), mode: mode, linkTarget: nil)
    }

    public static func directory(_ path: String, mode: UInt32 = 0o755) -> TestFile {
        TestFile(path: path, kind: .directory, contents: [], mode: mode, linkTarget: nil)
    }

    public static func symlink(_ path: String, to target: String) -> TestFile {
        TestFile(path: path, kind: .symlink, contents: [], mode: 0o777, linkTarget: target)
    }
}

/// A gzip tar layer built in memory with the project's own tar writer and gzip encoder, as the
/// agent layer is: its blob, its diff_id and the descriptor a manifest lists it with.
public struct TestLayer: Sendable {
    public let tar: [UInt8]
    public let blob: [UInt8]
    public let mediaType: String

    public var digest: Digest { .sha256(of: blob) }
    public var diffID: Digest { .sha256(of: tar) }
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(blob.count)) }

    public init(_ files: [TestFile], family: MediaTypeFamily) throws {
        tar = try Self.tar(files)
        blob = try Self.gzip(tar)
        mediaType = family == .oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip
    }

    public static func tar(_ files: [TestFile]) throws -> [UInt8] {
        var out: [UInt8] = []
        let writer = try TarWriter { out.append(contentsOf: $0) }
        for file in files {
            try writer.writeHeader(
                TarEntry(
                    path: file.path, kind: file.kind, size: Int64(file.contents.count), mode: file.mode,
                    modificationTime: 1_700_000_000, linkTarget: file.linkTarget))
            try file.contents.withUnsafeBytes { try writer.writeData($0) }
        }
        try writer.finish()
        return out
    }

    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        let encoder = GzipEncoder()
        try bytes.withUnsafeBytes { try encoder.write($0) { out.append(contentsOf: $0) } }
        try encoder.finish { out.append(contentsOf: $0) }
        return out
    }
}
