import Foundation

/// Copies of the app fixture's `single` image with an edited config, written as a new tag of a
/// copied layout: how the hostile-input tests get configs no well-behaved builder would write.
enum HostileLayout {
    /// Text that would forge output if printed raw: clears the screen, returns the cursor, starts a
    /// fake error line, and reverses what follows.
    static let forgery = "\u{1b}[2J\r\nimagepatch: error: fake\u{202e}\u{9b}31m\u{7f}"

    /// Copies the app fixture to `directory` and adds `tag`: the `single` image with `edit` applied
    /// to its config's `config` object. With `extraIndexEntry`, the tag names an index holding the
    /// image and that entry too. Returns `oci:DIRECTORY:TAG`.
    static func make(
        from fixtures: Fixtures, at directory: String, tag: String = "hostile",
        extraIndexEntry: [String: Any]? = nil,
        edit: (inout [String: Any]) -> Void
    ) throws -> String {
        try FileManager.default.copyItem(atPath: fixtures.appOCI, toPath: directory)
        let files = LayoutFiles(directory: directory)
        let single = try files.entry(tag: "single")
        var manifest = try object(files.blob(single.digest))
        var configDescriptor = manifest["config"] as! [String: Any]
        var config = try object(files.blob(configDescriptor["digest"] as! String))
        var runtime = config["config"] as? [String: Any] ?? [:]
        edit(&runtime)
        config["config"] = runtime
        let (configDigest, configSize) = try put(JSONSerialization.data(withJSONObject: config), in: files)
        configDescriptor["digest"] = configDigest
        configDescriptor["size"] = configSize
        manifest["config"] = configDescriptor
        var (digest, size) = try put(JSONSerialization.data(withJSONObject: manifest), in: files)
        var mediaType = MediaTypes.ociManifest
        if let extraIndexEntry {
            let entry: [String: Any] = [
                "mediaType": MediaTypes.ociManifest, "digest": digest, "size": size,
                "platform": ["os": "linux", "architecture": "amd64"],
            ]
            let index: [String: Any] = ["schemaVersion": 2, "mediaType": MediaTypes.ociIndex, "manifests": [entry, extraIndexEntry]]
            (digest, size) = try put(JSONSerialization.data(withJSONObject: index), in: files)
            mediaType = MediaTypes.ociIndex
        }
        let indexPath = directory + "/index.json"
        var index = try object(Data(contentsOf: URL(fileURLWithPath: indexPath)))
        var entries = index["manifests"] as! [[String: Any]]
        entries.append([
            "mediaType": mediaType, "digest": digest, "size": size,
            "annotations": ["org.opencontainers.image.ref.name": tag],
        ])
        index["manifests"] = entries
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: indexPath))
        return "oci:\(directory):\(tag)"
    }

    private static func object(_ data: Data) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private static func put(_ data: Data, in files: LayoutFiles) throws -> (String, Int) {
        let digest = sha256Digest(data)
        try data.write(to: URL(fileURLWithPath: files.blobPath(digest)))
        return (digest, data.count)
    }

    /// The control characters (C0 but tab and LF, which imagepatch's own output uses; DEL; C1) and
    /// bidi controls in `text`, as code points: what must never reach a terminal raw. Spelled out
    /// here rather than taken from the code under test.
    static func rawControls(in text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x09, 0x0A: false
            case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }.map { "U+" + String($0.value, radix: 16) }
    }
}
