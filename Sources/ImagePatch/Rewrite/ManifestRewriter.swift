import JSON
import OCI

/// Writes the patched platform manifest: the new config, the source layers as they were (their
/// descriptors untouched), and the agent layer on top, with the descriptor it carries (its media
/// type already says its compression in `family`).
enum ManifestRewriter {
    static let baseDigestAnnotation = "org.opencontainers.image.base.digest"
    static let baseNameAnnotation = "org.opencontainers.image.base.name"

    static func rewrite(
        _ manifest: ImageManifest, family: MediaTypeFamily, config: ManifestBlob, layer: AgentLayer,
        dropTopLayer: Bool, source: ManifestBlob, sourceName: String?
    ) -> ManifestBlob {
        var json = manifest.json
        var configJSON = manifest.config.json
        configJSON["digest"] = .string(config.digest.description)
        configJSON["size"] = .integer(config.bytes.count)
        json["config"] = .object(configJSON)
        var layers = json["layers"]?.arrayValue ?? []
        if dropTopLayer, !layers.isEmpty { layers.removeLast() }
        layers.append(layer.descriptor.jsonValue)
        json["layers"] = .array(layers)
        // Docker v2 manifests have no annotations field; adding one would be a foreign field there.
        // On --repatch the source is itself a patched image: its base annotations already name the
        // real base, and stay.
        if family == .oci {
            var annotations = json["annotations"]?.objectValue ?? JSONObject()
            if !(dropTopLayer && annotations[baseDigestAnnotation] != nil) {
                annotations[baseDigestAnnotation] = .string(source.digest.description)
                annotations[baseNameAnnotation] = sourceName.map(JSONValue.string)
            }
            json["annotations"] = annotations.count == 0 ? nil : .object(annotations)
        }
        return ManifestBlob(bytes: JSONValue.object(json).serialized(), mediaType: manifest.mediaType)
    }
}

/// Writes the patched index: same fields and annotations, each patched entry pointing at its new
/// manifest, unselected and non-image entries left out.
enum IndexRewriter {
    static func rewrite(_ index: ImageIndex, replacements: [Digest: ManifestBlob]) -> ManifestBlob {
        var json = index.json
        let entries: [JSONValue] = index.manifests.compactMap { entry in
            guard let patched = replacements[entry.digest] else { return nil }
            return entry.replacingContent(
                mediaType: patched.mediaType, digest: patched.digest,
                size: Int64(patched.bytes.count)
            ).jsonValue
        }
        json["manifests"] = .array(entries)
        return ManifestBlob(bytes: JSONValue.object(json).serialized(), mediaType: index.mediaType)
    }
}
