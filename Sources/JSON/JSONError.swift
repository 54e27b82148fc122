/// Why and where a document was rejected.
///
/// Positions are 1-based; columns count Unicode scalars rather than bytes so they
/// match what an editor shows for a line containing non-ASCII text.
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
    public let line: Int
    public let column: Int
    /// Short reason without the position, e.g. "expected ',' or '}' after object member".
    public let reason: String
    public let description: String

    init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
        self.description = "invalid JSON at line \(line), column \(column): \(reason)"
    }

    static func duplicateKey(_ key: String, line: Int, column: Int) -> JSONError {
        // The key comes from untrusted input: escape and cap it so the message stays
        // one printable line however hostile the document is.
        var quoted = JSONSerializer.quoted(key)
        if quoted.unicodeScalars.count > 66 {
            quoted = String(String.UnicodeScalarView(quoted.unicodeScalars.prefix(64))) + "…\""
        }
        let reason = "duplicate key \(quoted)"
        return JSONError(
            line: line, column: column, reason: reason,
            description: "\(reason) at line \(line), column \(column)")
    }

    private init(line: Int, column: Int, reason: String, description: String) {
        self.line = line
        self.column = column
        self.reason = reason
        self.description = description
    }
}
