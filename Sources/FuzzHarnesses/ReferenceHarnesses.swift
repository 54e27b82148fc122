import OCI

/// Any text as a Docker reference (invalid UTF-8 is repaired, as a command line would pass it).
/// What parses has a normal form that parses to the same reference.
enum DockerReferenceHarness {
    static func run(_ input: [UInt8]) throws {
        let text = String(decoding: input, as: UTF8.self)
        guard let reference = try? DockerReference(parsing: text) else {
            try require(DockerReference.normalized(text) == text, "normalized changed \(quoted(text)), which does not parse")
            return
        }
        let normal = reference.description
        guard let again = try? DockerReference(parsing: normal) else {
            throw FuzzPropertyViolation("the normal form \(quoted(normal)) (\(normal.utf8.count) bytes) of \(quoted(text)) does not parse")
        }
        try require(again == reference, "\(quoted(text)) normalizes to \(quoted(normal)), which parses to \(again)")
        try require(DockerReference.normalized(normal) == normal, "the normal form \(quoted(normal)) is not normal")
    }

    /// Long names shortened, so a report stays readable.
    private static func quoted(_ text: String) -> String {
        text.count <= 120 ? text.debugDescription : (String(text.prefix(120)) + "…").debugDescription
    }
}
