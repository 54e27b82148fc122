/// `docker-archive:FILE[:NAME]`: the `docker save` format, read whole or compressed as a whole
/// (`DockerArchiveSource`), written as a tar (`DockerArchiveDestination`). NAME is a Docker
/// reference: which image of the archive to read, the name to record when writing.
extension LocalTransport {
    public static let dockerArchive = LocalTransport(
        name: "docker-archive", syntax: "docker-archive:FILE[:NAME] (reading a .tar.gz/.bz2/.xz/.zst too)",
        tagIsDockerName: true, unpacksArchive: true,
        source: { reference, options in
            try DockerArchiveSource(
                file: reference.path, name: reference.tag, reference: reference.text,
                maxUnpackedBytes: options.maxUnpackedBytes)
        },
        destination: { reference, _ in try DockerArchiveDestination(file: reference.path, name: reference.tag, reference: reference.text) })
}
