import Foundation

/// A stand-in for `gcr.io/datadoghq/serverless-init`, written at test time as an OCI layout: an index
/// of linux/amd64 and linux/arm64, each one gzip layer holding `/datadog-init` (0755) at the root, as
/// the real image does, and a file beside it that the datadog preset must leave behind. The
/// launcher is a shell script (the patched app's busybox sh runs it) that reports the `DD_*`
/// environment it was started with, then runs the application.
enum DatadogAgentImage {
    static let script = """
        #!/bin/sh
        echo "datadog-init: started (DD_SERVICE=$DD_SERVICE DD_ENV=$DD_ENV DD_SITE=$DD_SITE)"
        exec "$@"

        """

    /// Writes the layout at `directory` and returns `oci:DIRECTORY:1`. `launcher: false` leaves
    /// `/datadog-init` out (an image that is not serverless-init).
    static func make(at directory: String, launcher: Bool = true) async throws -> String {
        let fm = FileManager.default
        let root = directory + "-rootfs"
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        if launcher {
            try Data(script.utf8).write(to: URL(fileURLWithPath: root + "/datadog-init"))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/datadog-init")
        }
        try Data("outside the include list\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/not-agent.conf"))
        let tar = try await ProcessRunner.check(
            "tar",
            ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", "-"]
                + (launcher ? ["datadog-init"] : []) + ["etc"]
        ).stdout
        let gzip = try await ProcessRunner.check("gzip", ["-n", "-c"], stdin: tar).stdout

        let files = LayoutFiles(directory: directory)
        try fm.createDirectory(atPath: directory + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        func put(_ data: Data) throws -> [String: Any] {
            let digest = sha256Digest(data)
            try data.write(to: URL(fileURLWithPath: files.blobPath(digest)))
            return ["digest": digest, "size": data.count]
        }
        func json(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }

        var layer = try put(gzip)
        layer["mediaType"] = MediaTypes.ociLayerGzip
        var entries: [[String: Any]] = []
        for arch in ["amd64", "arm64"] {
            var config = try put(
                try json([
                    "architecture": arch, "os": "linux",
                    "config": ["Entrypoint": ["/datadog-init"]],
                    "rootfs": ["type": "layers", "diff_ids": [sha256Digest(tar)]],
                ]))
            config["mediaType"] = MediaTypes.ociConfig
            var manifest = try put(
                try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest, "config": config, "layers": [layer]]))
            manifest["mediaType"] = MediaTypes.ociManifest
            manifest["platform"] = ["architecture": arch, "os": "linux"]
            entries.append(manifest)
        }
        var index = try put(try json(["schemaVersion": 2, "mediaType": MediaTypes.ociIndex, "manifests": entries]))
        index["mediaType"] = MediaTypes.ociIndex
        index["annotations"] = ["org.opencontainers.image.ref.name": "1"]
        try json(["schemaVersion": 2, "manifests": [index]]).write(to: URL(fileURLWithPath: directory + "/index.json"))
        return "oci:\(directory):1"
    }
}
