/// A PEM block of a key file: its label, its text (BEGIN to END line, for libcrypto) and its body
/// decoded. Used to choose a decoder: cosign's own format is not something libcrypto reads.
struct PEMBlock: Equatable {
    let label: String
    /// The block alone, so that libcrypto reads this block and not an `EC PARAMETERS` block before it.
    let text: [UInt8]
    /// Nil when the body is not base64 (libcrypto reports such blocks itself).
    let body: [UInt8]?

    /// Every BEGIN/END pair of the text, in order.
    static func all(in bytes: [UInt8]) -> [PEMBlock] {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" })
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var blocks = [PEMBlock]()
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 else {
                index += 1
                continue
            }
            let label = String(line.dropFirst("-----BEGIN ".count).dropLast(5))
            guard let end = lines[(index + 1)...].firstIndex(of: Substring("-----END \(label)-----")) else { break }
            var body = ""
            for bodyLine in lines[(index + 1)..<end] where !bodyLine.contains(":") {
                body += bodyLine.filter { $0 != " " && $0 != "\t" }
            }
            let blockText = lines[index...end].joined(separator: "\n") + "\n"
            blocks.append(PEMBlock(label: label, text: Array(blockText.utf8), body: Base64.decode(body)))
            index = end + 1
        }
        return blocks
    }

    /// PEM text for a DER body under a label, 64 columns.
    static func encode(label: String, der: [UInt8]) -> [UInt8] {
        let encoded = Array(Base64.encode(der).utf8)
        var out = Array("-----BEGIN \(label)-----\n".utf8)
        var start = 0
        while start < encoded.count {
            out.append(contentsOf: encoded[start..<min(start + 64, encoded.count)])
            out.append(UInt8(ascii: "\n"))
            start += 64
        }
        out.append(contentsOf: "-----END \(label)-----\n".utf8)
        return out
    }
}
