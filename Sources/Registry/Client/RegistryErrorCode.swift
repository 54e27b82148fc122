import JSON

/// An error code from a registry's error body (`{"errors":[{"code":"BLOB_UNKNOWN",…}]}`): the
/// distribution spec's codes by name, so callers can match on them, and any other code as sent.
public enum RegistryErrorCode: Sendable, Hashable, CustomStringConvertible {
    case blobUnknown, blobUploadInvalid, blobUploadUnknown, digestInvalid, manifestBlobUnknown
    case manifestInvalid, manifestUnknown, nameInvalid, nameUnknown, sizeInvalid
    case unauthorized, denied, unsupported, tooManyRequests
    /// A code the spec does not name, as the registry sent it (without control characters, bounded).
    case other(String)

    private static let named: [(RegistryErrorCode, String)] = [
        (.blobUnknown, "BLOB_UNKNOWN"), (.blobUploadInvalid, "BLOB_UPLOAD_INVALID"),
        (.blobUploadUnknown, "BLOB_UPLOAD_UNKNOWN"), (.digestInvalid, "DIGEST_INVALID"),
        (.manifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN"), (.manifestInvalid, "MANIFEST_INVALID"),
        (.manifestUnknown, "MANIFEST_UNKNOWN"), (.nameInvalid, "NAME_INVALID"), (.nameUnknown, "NAME_UNKNOWN"),
        (.sizeInvalid, "SIZE_INVALID"), (.unauthorized, "UNAUTHORIZED"), (.denied, "DENIED"),
        (.unsupported, "UNSUPPORTED"), (.tooManyRequests, "TOOMANYREQUESTS"),
    ]

    /// `text` as the registry sent it; it is made safe for a log line here.
    public init(_ text: String) {
        let safe = RegistryErrorCodes.loggable(text)
        self = Self.named.first { $0.1 == safe }?.0 ?? .other(safe)
    }

    /// The code as the registry spells it.
    public var description: String {
        if case .other(let text) = self { return text }
        return Self.named.first { $0.0 == self }?.1 ?? ""
    }
}

/// One entry of a registry's error body: its code and its message, both made safe for a log line.
public struct RegistryErrorDetail: Sendable, Hashable, CustomStringConvertible {
    public let code: RegistryErrorCode
    public let message: String

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}

/// The codes and messages a registry gave with a refusal ("MANIFEST_INVALID: manifest invalid"):
/// the first three entries of its error body, shown bounded in the error line.
public struct RegistryErrorCodes: Sendable, Hashable, CustomStringConvertible {
    public let details: [RegistryErrorDetail]

    /// What the error line shows of them, at most.
    static let maxShown = 300
    static let maxEntries = 3

    public init(details: [RegistryErrorDetail] = []) {
        self.details = details
    }

    /// The entries of a registry's error body; none when it is not one.
    public init(body: [UInt8]) {
        guard let value = try? JSONValue(parsing: body), let errors = value["errors"]?.arrayValue else {
            self.init()
            return
        }
        self.init(
            details: errors.prefix(Self.maxEntries).compactMap { error in
                guard let code = error["code"]?.stringValue else { return nil }
                return RegistryErrorDetail(code: RegistryErrorCode(code), message: Self.loggable(error["message"]?.stringValue ?? ""))
            })
    }

    public var codes: [RegistryErrorCode] { details.map(\.code) }
    /// Nothing to show (no entry, or only empty ones): the error line then ends at the status.
    public var isEmpty: Bool { description.isEmpty }
    public func contains(_ code: RegistryErrorCode) -> Bool { codes.contains(code) }

    public var description: String {
        String(String.UnicodeScalarView(details.map(\.description).joined(separator: "; ").unicodeScalars.prefix(Self.maxShown)))
    }

    /// A hostile registry's text must not carry control characters (terminal escapes) into logs;
    /// nor can more than the error line shows be worth keeping.
    static func loggable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.lazy.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(maxShown)))
    }
}
