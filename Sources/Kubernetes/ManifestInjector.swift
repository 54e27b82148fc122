import Foundation
import JSON
import Yams

/// `k8s inject` on a file: YAML (one or many documents) or JSON (one object, or a `List`). The output
/// keeps the input's format and document order; a document that is not changed is written back as it
/// was read, byte for byte, comments included. A changed YAML document is written anew from its
/// edited value (its comments, except those leading it, are not kept).
public struct ManifestInjector: Sendable {
    public let injector: PodInjector

    public init(injector: PodInjector) { self.injector = injector }

    /// Enough for any manifest set; Kubernetes objects are at most 1.5 MiB each in etcd.
    public static let maxBytes = 64 << 20

    public struct Result: Sendable {
        public var output: [UInt8]
        public var notices: [String]
    }

    public func inject(_ bytes: [UInt8], source: String) async throws -> Result {
        var notices: [String] = []
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return Result(output: try await injectJSON(bytes, source: source, notices: &notices), notices: notices)
        }
        return Result(output: try await injectYAML(bytes, source: source, notices: &notices), notices: notices)
    }

    private func injectJSON(_ bytes: [UInt8], source: String, notices: inout [String]) async throws -> [UInt8] {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw KubernetesError.notJSON(source: source, reason: "\(error)") }
        let result: JSONValue
        switch value {
        case .object(let object):
            guard let new = try await injector.inject(object, notices: &notices) else { return bytes }
            result = .object(new)
        case .array(var items):
            var changed = false
            for i in items.indices {
                guard let object = items[i].objectValue else {
                    throw KubernetesError.notAnObject(source: source, document: i + 1, found: items[i].kindDescription)
                }
                if let new = try await injector.inject(object, notices: &notices) {
                    items[i] = .object(new)
                    changed = true
                }
            }
            guard changed else { return bytes }
            result = .array(items)
        default:
            throw KubernetesError.notAnObject(source: source, document: 1, found: value.kindDescription)
        }
        // Compact in, compact out; anything else is written indented by two, as kubectl does.
        let pretty = bytes.contains(0x0A) && bytes.last != nil && bytes.dropLast().contains(0x0A)
        return (pretty ? result.serialized(indent: 2) : result.serialized()) + (bytes.last == 0x0A ? [0x0A] : [])
    }

    private func injectYAML(_ bytes: [UInt8], source: String, notices: inout [String]) async throws -> [UInt8] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KubernetesError.notYAML(source: source, reason: "it is not UTF-8 text")
        }
        var pieces = YAMLDocuments.split(text)
        // Every document is read before any is injected, so a malformed one stops the run up front.
        var values: [(index: Int, value: JSONValue)] = []
        var lines = 0
        for (index, piece) in pieces.enumerated() {
            defer { lines += piece.text.utf8.count { $0 == 0x0A } }
            guard !piece.isSeparator else { continue }
            if let value = try YAMLDocuments.parse(piece.text, source: source, document: values.count + 1, lineOffset: lines) {
                values.append((index, value))
            }
        }
        for (number, entry) in values.enumerated() {
            guard let object = entry.value.objectValue else {
                throw KubernetesError.notAnObject(source: source, document: number + 1, found: entry.value.kindDescription)
            }
            guard let new = try await injector.inject(object, notices: &notices) else { continue }
            let old = pieces[entry.index].text
            pieces[entry.index].text = YAMLDocuments.leadingComments(old) + (try YAMLDocuments.serialize(.object(new)))
        }
        return Array(pieces.map(\.text).joined().utf8)
    }
}
