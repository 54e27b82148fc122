#if DEBUG
    import Glibc
    import IOFoundation
    @testable import OCI

    /// Any bytes as the `manifest.json` of a docker-archive, read from a file as the transport reads it,
    /// then each way of choosing an image: none (a single image), and each RepoTag it lists.
    enum DockerArchiveManifestHarness {
        static func run(_ input: [UInt8]) throws {
            let directory = try TemporaryDirectory(prefix: "imagepatch-fuzz-docker-archive")
            let path = "\(directory.path)/manifest.json"
            try writeFile(path, input)
            guard let manifest = try? DockerArchiveManifest.read(directory: directory.path, reference: "docker-archive:fuzz.tar") else {
                return
            }
            _ = try? manifest.select(name: nil)
            for tag in manifest.entries.flatMap(\.repoTags).prefix(8) {
                guard let entry = try? manifest.select(name: tag) else {
                    throw FuzzPropertyViolation("the RepoTag \(tag.debugDescription) it lists does not select an image")
                }
                try require(
                    entry.repoTags.contains { DockerReference.normalized($0) == DockerReference.normalized(tag) },
                    "the RepoTag \(tag.debugDescription) selects an image that does not list it")
            }
        }

        private static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
            guard let file = fopen(path, "wb") else { throw FuzzPropertyViolation("cannot create \(path) (is TMPDIR writable?)") }
            defer { fclose(file) }
            guard bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count else {
                throw FuzzPropertyViolation("cannot write \(path)")
            }
        }
    }
#endif
