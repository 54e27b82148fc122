import Foundation
import JSON
import OCI

/// The outcome of one plan item, as `fleet run` prints it: one JSON line,
/// `{"id","source","target","status","digest","bytesUploaded","seconds","error"?}`. This is the
/// one definition of that line, written by `jsonLine()` and read back by `init(json:)`.
public struct FleetResult: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case patched
        case upToDate = "up-to-date"
        case failed
    }

    public var id: String
    public var source: String
    public var target: String
    public var status: Status
    /// The target's digest; null for a failed item.
    public var digest: Digest?
    public var bytesUploaded: Int64
    public var seconds: Double
    /// Why it failed: one line; only for a failed item.
    public var error: String?

    public init(
        id: String, source: String, target: String, status: Status, digest: Digest?, bytesUploaded: Int64,
        seconds: Double, error: String? = nil
    ) {
        self.id = id
        self.source = source
        self.target = target
        self.status = status
        self.digest = digest
        self.bytesUploaded = bytesUploaded
        self.seconds = seconds
        self.error = error
    }

    /// Error texts are bounded so a result line stays a line a log can hold.
    public static let maxErrorCharacters = 4096

    public var json: JSONValue {
        var object = JSONObject([
            ("id", .string(id)), ("source", .string(source)), ("target", .string(target)),
            ("status", .string(status.rawValue)), ("digest", digest.map { .string($0.description) } ?? .null),
            ("bytesUploaded", .integer(bytesUploaded)), ("seconds", .number(Self.secondsText(seconds))),
        ])
        if let error { object["error"] = .string(String(error.prefix(Self.maxErrorCharacters))) }
        return .object(object)
    }

    /// The line `fleet run` prints, without its newline.
    public func jsonLine() -> String { String(decoding: json.serialized(), as: UTF8.self) }

    /// Milliseconds, as a JSON number: `0.125`.
    static func secondsText(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0" }
        return String(format: "%.3f", min(seconds, 1e12))
    }

    /// Reads a line back; the reason names the field. Unknown keys are ignored, so a newer
    /// `fleet run` that adds a field can still be summarised.
    public init(json value: JSONValue) throws(ResultLineError) {
        guard let object = value.objectValue else { throw ResultLineError("is \(value.kindDescription), not a result object") }
        func string(_ key: String) throws(ResultLineError) -> String {
            guard let text = object[key]?.stringValue else { throw ResultLineError("\(key) is missing or not a string") }
            return text
        }
        id = try string("id")
        source = try string("source")
        target = try string("target")
        let statusText = try string("status")
        guard let status = Status(rawValue: statusText) else {
            throw ResultLineError("status \(statusText.debugDescription) is not one of patched, up-to-date, failed")
        }
        self.status = status
        switch object["digest"] {
        case .string(let text)?:
            do { digest = try Digest(parsing: text) } catch { throw ResultLineError("digest: \(error)") }
        case .null?, nil:
            guard status == .failed else { throw ResultLineError("digest is missing for a \(status.rawValue) item") }
            digest = nil
        default:
            throw ResultLineError("digest is missing or not a digest")
        }
        guard let bytes = object["bytesUploaded"]?.int64Value, bytes >= 0 else {
            throw ResultLineError("bytesUploaded is missing or not a whole number of bytes")
        }
        bytesUploaded = bytes
        guard case .number(let text)? = object["seconds"], let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw ResultLineError("seconds is missing or not a number of seconds")
        }
        self.seconds = seconds
        switch object["error"] {
        case .string(let text)?: error = text
        case .null?, nil: error = nil
        default: throw ResultLineError("error is not a string")
        }
        if status == .failed && error == nil { throw ResultLineError("a failed item has no error") }
    }
}

public struct ResultLineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
