/// Text from images, registries and task definitions (tags, platforms, Env values, labels, error
/// bodies) is untrusted. Written raw to a terminal or a CI log, an escape sequence could clear the
/// screen or rewrite earlier lines, a CR or LF could forge a line such as a fake
/// `imagepatch: error:`, and a bidi control could reorder what is read. Every sink that writes text
/// for people passes it through `TerminalText.escaped`, so one untrusted value always stays on its
/// own line, visible for what it is.
public enum TerminalText {
    /// `text` with every control character shown as an escape: `\n`, `\r`, `\t`, `\x1b` for the
    /// other C0 controls and DEL, and `\u{85}` for C1 controls, line and paragraph separators and
    /// Unicode bidi controls. Everything else, backslashes included, is left as it is.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                out += scalar.value < 0x80 ? "\\x" + (hex.count == 1 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F: true  // Arabic letter mark, LRM, RLM
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidi embeddings, overrides and isolates
        default: false
        }
    }
}
