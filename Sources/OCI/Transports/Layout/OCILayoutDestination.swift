import Glibc
import IOFoundation
import Synchronization

/// Writes into an OCI image layout directory (`oci:DIR[:TAG]`).
///
/// A new layout is built in a hidden directory beside DIR and renamed into place on commit. In an
/// existing layout, blobs are content-addressed files written under temporary names (harmless to
/// other tags), and the tag only changes when index.json is atomically replaced at commit; abort
/// removes the blobs this run added. A blob already in the layout is reused only once its size and
/// digest have been checked: one that does not match is replaced, never pointed at.
public final class OCILayoutDestination: ImageDestination, Sendable {
    public let reference: String
    public var canHoldIndex: Bool { true }
    let directory: String
    private let tag: String?
    /// Removed with the destination unless commit renamed it into place.
    private let staging: TemporaryDirectory?
    private let addedBlobs = Mutex<[String]>([])
    /// Blobs known to be whole: checked once in this run, or written by it from a verified stream.
    private let verifiedBlobs = Mutex<Set<Digest>>([])

    public init(directory: String, tag: String?, reference: String) throws {
        self.directory = directory
        self.tag = tag
        self.reference = reference
        if FileSystem.isDirectory(directory) && FileSystem.exists("\(directory)/oci-layout") {
            staging = nil
        } else if FileSystem.exists(directory) && !Self.isEmptyDirectory(directory) {
            throw OCIError.io("\(reference): \(directory) exists and is not an OCI layout; refusing to write into it")
        } else {
            let staging = try TemporaryDirectory(near: directory, prefix: "imagepatch-layout")
            try FileSystem.writeFileAtomically("\(staging.path)/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            self.staging = staging
        }
        try FileSystem.makeDirectories("\(root)/blobs/sha256")
    }

    /// Where files go now: the staging directory for a new layout, else the layout itself.
    var root: String { staging?.path ?? directory }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        if verifiedBlobs.withLock({ $0.contains(descriptor.digest) }) { return true }
        guard Self.pathExists(OCILayoutIndex.blobPath(root, descriptor.digest)) else { return false }
        do {
            try LayoutFile.openBlob(descriptor, layout: root, what: "blob \(descriptor.digest) already in \(reference)").drain()
        } catch is OCIError, is IOError {
            return false  // corrupt, truncated, not a regular file or leading elsewhere: putBlob replaces it
        }
        verifiedBlobs.withLock { _ = $0.insert(descriptor.digest) }
        return true
    }

    public func putBlob(_ descriptor: Descriptor, from origin: BlobOrigin) async throws {
        if try await hasBlob(descriptor) { return }
        try FileSystem.makeDirectories("\(root)/blobs/\(descriptor.digest.algorithm.rawValue)")
        let path = OCILayoutIndex.blobPath(root, descriptor.digest)
        // A file already there failed its check: it is replaced by rename, and left in place on abort.
        let replacing = Self.pathExists(path)
        if try await !linkLocalBlob(descriptor, from: origin, to: path) {
            let reader = try await origin.open()
            let writer = try AtomicFileWriter(path: path)
            try reader.forEachChunk { try writer.write($0) }
            try writer.commit()
        }
        verifiedBlobs.withLock { _ = $0.insert(descriptor.digest) }
        if !replacing { addedBlobs.withLock { $0.append(path) } }
    }

    /// Base layers stay where they are: a blob that is a file on the same filesystem is checked
    /// (read and hashed, as any blob) and hard-linked rather than copied.
    private func linkLocalBlob(_ descriptor: Descriptor, from origin: BlobOrigin, to path: String) async throws -> Bool {
        guard let local = origin.source as? LocalBlobFiles, let file = local.localFile(for: descriptor) else { return false }
        // link() would copy a symlink itself (some build tools store blobs as symlinks): only regular files.
        var info = stat()
        guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        try await origin.open().drain()
        // Linked under a temporary name and renamed, so a corrupt blob already at `path` is replaced.
        let temporary = "\(path).link-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard link(file, temporary) == 0 else { return false }  // another filesystem: copy instead
        InterruptCleanup.register(temporary)
        defer { InterruptCleanup.unregister(temporary) }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    public func putManifest(_ manifest: ManifestBlob) async throws {
        try await putBlob(manifest.descriptor, from: BlobOrigin(source: nil) { MemoryReader(manifest.bytes) })
    }

    public func commit(root rootManifest: ManifestBlob) async throws {
        try await putManifest(rootManifest)
        var index =
            staging == nil
            ? try OCILayoutIndex.read(directory: directory, reference: reference)
            : OCILayoutIndex.empty()
        index.setTag(tag, to: rootManifest.descriptor)
        try FileSystem.writeFileAtomically("\(root)/index.json", index.serialized())
        if let staging {
            if FileSystem.exists(directory) { rmdir(directory) }
            chmod(staging.path, 0o755)  // mkdtemp made it private
            try FileSystem.rename(staging.path, directory)
        }
        addedBlobs.withLock { $0.removeAll() }
    }

    public func abort() async {
        if let staging {
            FileSystem.removeTree(staging.path)
        } else {
            addedBlobs.withLock { $0.forEach { unlink($0) } }
        }
    }

    /// True for anything at `path`, a dangling symbolic link included.
    private static func pathExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func isEmptyDirectory(_ path: String) -> Bool {
        FileSystem.isDirectory(path) && ((try? FileSystem.listDirectory(path).isEmpty) ?? false)
    }
}
