import Foundation
import JSON
import OCI

/// A fleet file: one agent, options for every image, a default target template, and the images,
/// each one tagged image or a repository whose tags are chosen by a list, a regular expression
/// and/or the newest N by semantic version. YAML or JSON (JSON is YAML). Everything is checked
/// when it is read: an unknown key, a wrong type, a bad regex or reference give one line naming
/// the entry, and nothing is asked of a registry before the whole file is known to be right.
public struct FleetFile: Sendable {
    public let file: String
    public let agent: DockerReference
    public let options: JSONObject
    public let target: TargetTemplate?
    public let images: [FleetImage]

    public static let maxBytes = 4 << 20
    public static let maxImages = 100_000
    /// `latest` and the size of a `tags` list, like the number of tags one repository may list.
    public static let maxTags = 100_000

    static let topKeys = ["agent", "options", "target", "images"]
    static let imageKeys = ["source", "tags", "match", "latest", "target", "options"]

    /// `file` names the file in errors, as the user gave it.
    public init(bytes: [UInt8], file: String) throws(FleetError) {
        guard bytes.count <= Self.maxBytes else {
            throw FleetError(file: file, place: "", "is larger than the \(Self.maxBytes)-byte limit of a fleet file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FleetError(file: file, place: "", "is not UTF-8 text")
        }
        let root = try YAMLValue.parse(text, file: file)
        guard case .mapping(let members) = root else {
            throw FleetError(file: file, place: "", "is \(root.kindDescription), not a mapping with agent, target and images")
        }
        var fields: [String: YAMLValue] = [:]
        for (key, value) in members {
            guard Self.topKeys.contains(key) else {
                throw FleetError(file: file, place: key, "unknown key; a fleet file has \(Self.topKeys.joined(separator: ", "))")
            }
            fields[key] = value
        }
        self.file = file
        guard let agentNode = fields["agent"] else { throw FleetError(file: file, place: "agent", "is missing: name the agent image") }
        agent = try Self.registryReference(try agentNode.text(at: "agent", file: file), at: "agent", file: file)
        options =
            try fields["options"].map { node throws(FleetError) in try FleetOptions.parse(node, at: "options", file: file) } ?? JSONObject()
        target = try fields["target"].map { node throws(FleetError) in try Self.template(node, at: "target", file: file) }
        guard let imagesNode = fields["images"] else { throw FleetError(file: file, place: "images", "is missing: list the images") }
        let entries = try imagesNode.sequence(at: "images", file: file)
        guard !entries.isEmpty else { throw FleetError(file: file, place: "images", "is empty: list at least one image") }
        guard entries.count <= Self.maxImages else {
            throw FleetError(file: file, place: "images", "has \(entries.count) entries, more than the limit of \(Self.maxImages)")
        }
        var images: [FleetImage] = []
        images.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            images.append(try FleetImage(entry, index: index, defaults: (options, target), file: file))
        }
        self.images = images
    }

    static func template(_ node: YAMLValue, at place: String, file: String) throws(FleetError) -> TargetTemplate {
        do { return try TargetTemplate(parsing: try node.text(at: place, file: file)) } catch let error as TemplateError {
            throw FleetError(file: file, place: place, error.description)
        } catch {
            throw error as! FleetError
        }
    }

    /// A registry image: `[docker://]HOST/REPO[:TAG][@DIGEST]`. Local transports are refused: a
    /// plan runs on other machines, where a path means nothing.
    static func registryReference(_ text: String, at place: String, file: String) throws(FleetError) -> DockerReference {
        if (try? LocalReference(parsing: text)) != nil {
            throw FleetError(file: file, place: place, "\(text.debugDescription) is a local image; a fleet names registry images")
        }
        do { return try DockerReference(parsing: text) } catch { throw FleetError(file: file, place: place, "\(error)") }
    }

    /// Whether the reference as written names a tag (DockerReference fills in `latest` otherwise):
    /// the same split as DockerReference's, a last colon with no slash after it, before any `@`.
    static func hasExplicitTag(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasPrefix("docker://") { name = name.dropFirst("docker://".count) }
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        guard let colon = name.lastIndex(of: ":") else { return false }
        return !name[colon...].contains("/")
    }
}

/// One entry of `images`.
public struct FleetImage: Sendable {
    public let index: Int
    /// `images[3]`, for errors.
    public var place: String { "images[\(index)]" }
    /// The source; its tag is meaningful only when `selection` is nil.
    public let source: DockerReference
    /// How to choose tags, for an entry that names a repository; nil for one image.
    public let selection: TagSelection?
    public let target: TargetTemplate
    /// The file's options with the entry's over them.
    public let options: JSONObject

    init(_ node: YAMLValue, index: Int, defaults: (options: JSONObject, target: TargetTemplate?), file: String) throws(FleetError) {
        self.index = index
        let place = "images[\(index)]"
        var fields: [String: YAMLValue] = [:]
        for (key, value) in try node.mapping(at: place, file: file) {
            guard FleetFile.imageKeys.contains(key) else {
                throw FleetError(
                    file: file, place: "\(place).\(key)", "unknown key; an image has \(FleetFile.imageKeys.joined(separator: ", "))")
            }
            fields[key] = value
        }
        guard let sourceNode = fields["source"] else { throw FleetError(file: file, place: "\(place).source", "is missing") }
        let sourceText = try sourceNode.text(at: "\(place).source", file: file)
        source = try FleetFile.registryReference(sourceText, at: "\(place).source", file: file)
        let named = FleetFile.hasExplicitTag(sourceText) || source.digest != nil
        let tags = try fields["tags"].map { node throws(FleetError) in try Self.tags(node, at: "\(place).tags", file: file) }
        let match = try fields["match"].map { node throws(FleetError) in try TagPattern(node, at: "\(place).match", file: file) }
        let latest = try fields["latest"].map { node throws(FleetError) in
            try node.positiveInteger(at: "\(place).latest", file: file, maximum: FleetFile.maxTags)
        }
        if named {
            if let key = ["tags", "match", "latest"].first(where: { fields[$0] != nil }) {
                throw FleetError(
                    file: file, place: "\(place).\(key)",
                    "chooses tags, but the source \(sourceText.debugDescription) already names one image; drop its tag or digest to choose from the repository"
                )
            }
            selection = nil
        } else {
            guard tags != nil || match != nil || latest != nil else {
                throw FleetError(
                    file: file, place: "\(place).source",
                    "\(sourceText.debugDescription) names a repository without a tag; name a tag (REPO:TAG) or choose tags with tags, match or latest"
                )
            }
            selection = TagSelection(tags: tags, match: match, latest: latest)
        }
        if let node = fields["target"] {
            target = try FleetFile.template(node, at: "\(place).target", file: file)
        } else if let template = defaults.target {
            target = template
        } else {
            throw FleetError(file: file, place: "\(place).target", "is missing, and the file has no default target template")
        }
        if target.usesTag && source.digest != nil && !FleetFile.hasExplicitTag(sourceText) {
            throw FleetError(
                file: file, place: fields["target"] == nil ? "\(place).source" : "\(place).target",
                "the target template uses {tag}, but the source is named by digest only")
        }
        let own = try fields["options"].map { node throws(FleetError) in try FleetOptions.parse(node, at: "\(place).options", file: file) }
        options = own.map { FleetOptions.merged(defaults.options, $0) } ?? defaults.options
    }

    private static func tags(_ node: YAMLValue, at place: String, file: String) throws(FleetError) -> [String] {
        let tags = try node.texts(at: place, file: file)
        guard !tags.isEmpty else { throw FleetError(file: file, place: place, "is an empty list") }
        guard tags.count <= FleetFile.maxTags else {
            throw FleetError(file: file, place: place, "lists more than \(FleetFile.maxTags) tags")
        }
        for (index, tag) in tags.enumerated() where !TagSelection.isValidTag(tag) {
            throw FleetError(
                file: file, place: "\(place)[\(index)]", "\(tag.debugDescription) is not a valid tag (letters, digits, _ . -, at most 128)")
        }
        return tags
    }
}
