import IOFoundation

/// `oci-archive:FILE[:TAG]`: a tar of an OCI layout. Reading unpacks it into a private directory
/// and reads that as a layout; writing builds a layout beside FILE and packs it on commit
/// (`OCIArchiveDestination`). `maxUnpackedBytes` bounds what unpacking may write (`--max-archive-size`).
public enum OCIArchiveTransport {
    public static func openSource(
        file: String, tag: String?, reference: String,
        maxUnpackedBytes: Int64 = Limits.archiveUnpackedBytes
    ) throws -> ImageSource {
        let temporary = try TemporaryDirectory(prefix: "imagepatch-oci-archive")
        try ArchiveExtractor.extract(file: file, into: temporary.path, reference: reference, maxUnpackedBytes: maxUnpackedBytes)
        return try OCILayoutSource(directory: temporary.path, tag: tag, reference: reference, cleanup: temporary)
    }
}

extension LocalTransport {
    public static let ociArchive = LocalTransport(
        name: "oci-archive", syntax: "oci-archive:FILE[:TAG]", unpacksArchive: true,
        source: { reference, options in
            try OCIArchiveTransport.openSource(
                file: reference.path, tag: reference.tag, reference: reference.text,
                maxUnpackedBytes: options.maxUnpackedBytes)
        },
        destination: { reference, options in
            try OCIArchiveDestination(
                file: reference.path, tag: reference.tag, reference: reference.text,
                maxUnpackedBytes: options.maxUnpackedBytes)
        })
}
