import OCI

/// A target such as `{registry}/{repository}-falcon:{tag}`: text with the variables `{registry}`,
/// `{repository}` and `{tag}` of the source image. Checked when the file is read (an unknown
/// variable or a stray brace is an error there); rendered per image, where the result must be a
/// Docker reference with a tag, not a digest.
public struct TargetTemplate: Sendable, Equatable, CustomStringConvertible {
    public enum Variable: String, Sendable, CaseIterable { case registry, repository, tag }
    enum Segment: Sendable, Equatable {
        case text(String)
        case variable(Variable)
    }

    public let text: String
    let segments: [Segment]

    public var description: String { text }

    /// The reason is the message after the place: `unknown template variable {name}; …`.
    public init(parsing text: String) throws(TemplateError) {
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(text)
        while let character = rest.first {
            if character == "}" { throw TemplateError("has a \"}\" without its \"{\"") }
            guard character == "{" else {
                literal.append(character)
                rest = rest.dropFirst()
                continue
            }
            guard let close = rest.firstIndex(of: "}") else { throw TemplateError("has a \"{\" without its \"}\"") }
            let name = String(rest[rest.index(after: rest.startIndex)..<close])
            guard let variable = Variable(rawValue: name) else {
                throw TemplateError("unknown template variable {\(name)}; the variables are {registry}, {repository} and {tag}")
            }
            if !literal.isEmpty { segments.append(.text(literal)) }
            literal = ""
            segments.append(.variable(variable))
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { segments.append(.text(literal)) }
        guard !segments.isEmpty else { throw TemplateError("is empty") }
        self.text = text
        self.segments = segments
    }

    public var usesTag: Bool { segments.contains(.variable(.tag)) }

    /// The target for a source image; `tag` is nil for a source named by digest only.
    public func render(registry: String, repository: String, tag: String?) throws(TemplateError) -> DockerReference {
        var rendered = ""
        for segment in segments {
            switch segment {
            case .text(let text): rendered += text
            case .variable(.registry): rendered += registry
            case .variable(.repository): rendered += repository
            case .variable(.tag):
                guard let tag else { throw TemplateError("uses {tag}, but the source is named by digest only and has no tag") }
                rendered += tag
            }
        }
        let reference: DockerReference
        do { reference = try DockerReference(parsing: rendered) } catch {
            throw TemplateError("renders \(rendered.debugDescription), which is not an image reference: \(error)")
        }
        guard reference.digest == nil else {
            throw TemplateError("renders \(rendered.debugDescription), which names a digest; a target is written by tag")
        }
        return reference
    }
}

public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
