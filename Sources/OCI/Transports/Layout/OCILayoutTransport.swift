/// `oci:DIR[:TAG]`: an OCI image layout directory, read in place (`OCILayoutSource`) and written
/// through a staging directory or under temporary names (`OCILayoutDestination`).
extension LocalTransport {
    public static let oci = LocalTransport(
        name: "oci", syntax: "oci:DIR[:TAG]", unpacksArchive: false,
        source: { reference, _ in try OCILayoutSource(directory: reference.path, tag: reference.tag, reference: reference.text) },
        destination: { reference, _ in
            try OCILayoutDestination(directory: reference.path, tag: reference.tag, reference: reference.text)
        })
}
