import JSON

/// A content descriptor. The JSON object it was read from is kept, so that fields imagepatch does
/// not interpret (urls, artifactType, data, …) survive when the descriptor is written again.
public struct Descriptor: Sendable, Equatable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var platform: Platform?
    public private(set) var json: JSONObject

    public init(
        mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil,
        annotations: [(String, String)] = []
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        var json = JSONObject()
        json["mediaType"] = .string(mediaType)
        json["digest"] = .string(digest.description)
        json["size"] = .integer(size)
        if let platform {
            var platformJSON = JSONObject()
            platformJSON["architecture"] = .string(platform.architecture)
            platformJSON["os"] = .string(platform.os)
            if let variant = platform.variant { platformJSON["variant"] = .string(variant) }
            json["platform"] = .object(platformJSON)
        }
        if !annotations.isEmpty {
            json["annotations"] = .object(JSONObject(annotations.map { ($0.0, JSONValue.string($0.1)) }))
        }
        self.json = json
    }

    /// Reads a descriptor; `place` names where it sits, for the error message.
    public init(json value: JSONValue, place: String) throws(OCIError) {
        guard let object = value.objectValue else { throw .malformed(place, "a descriptor must be a JSON object") }
        guard let mediaType = object["mediaType"]?.stringValue else { throw .malformed(place, "the descriptor has no mediaType") }
        guard let digestText = object["digest"]?.stringValue else { throw .malformed(place, "the descriptor has no digest") }
        guard let size = object["size"]?.int64Value, size >= 0 else {
            throw .malformed(place, "the descriptor has no valid size")
        }
        guard size <= Limits.blobBytes else {
            throw .malformed(place, "the descriptor's size \(size) is beyond the \(Limits.blobBytes)-byte limit")
        }
        let digest: Digest
        do { digest = try Digest(parsing: digestText) } catch { throw .malformed(place, "\(error)") }
        var platform: Platform?
        if let platformJSON = object["platform"] {
            guard let os = platformJSON["os"]?.stringValue, let arch = platformJSON["architecture"]?.stringValue else {
                throw .malformed(place, "the descriptor's platform needs os and architecture")
            }
            platform = Platform(os: os, architecture: arch, variant: platformJSON["variant"]?.stringValue)
        }
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.json = object
    }

    public var annotations: JSONObject { json["annotations"]?.objectValue ?? JSONObject() }

    public func annotation(_ key: String) -> String? { annotations[key]?.stringValue }

    /// The JSON to write: the original object with the interpreted fields brought up to date.
    public var jsonValue: JSONValue {
        var object = json
        object["mediaType"] = .string(mediaType)
        object["digest"] = .string(digest.description)
        object["size"] = .integer(size)
        return .object(object)
    }

    /// The same descriptor pointing at other content (a patched manifest), keeping platform and annotations.
    public func replacingContent(mediaType: String, digest: Digest, size: Int64) -> Descriptor {
        var copy = self
        copy.mediaType = mediaType
        copy.digest = digest
        copy.size = size
        return copy
    }

    public mutating func setAnnotation(_ key: String, _ value: String?) {
        var annotations = self.annotations
        annotations[key] = value.map(JSONValue.string)
        json["annotations"] = annotations.count == 0 ? nil : .object(annotations)
    }
}
