import OCI
import Testing

@testable import ImagePatch

@Suite("Terminal escaping")
struct TerminalTextTests {
    @Test(
        "control characters and bidi controls are shown escaped",
        arguments: [
            ("plain text, é 😀 \\ and /", "plain text, é 😀 \\ and /"),
            ("a\u{1b}[2Jb", #"a\x1b[2Jb"#),
            ("line\r\nimagepatch: error: fake", #"line\r\nimagepatch: error: fake"#),
            ("\t\u{0}\u{7}\u{7f}", #"\t\x00\x07\x7f"#),
            ("\u{85}\u{9b}", #"\u{85}\u{9b}"#),
            ("abc\u{202e}fed\u{2066}\u{2069}\u{200f}\u{61c}", #"abc\u{202e}fed\u{2066}\u{2069}\u{200f}\u{61c}"#),
            ("\u{2028}\u{2029}", #"\u{2028}\u{2029}"#),
        ])
    func escaped(text: String, expected: String) {
        #expect(TerminalText.escaped(text) == expected)
    }
}

@Suite("Numbers from the command line and the environment")
struct CommandLineNumbersTests {
    @Test(
        "decimal: ASCII digits within the range",
        arguments: [
            ("0", Int64?(0)), ("253402300799", 253_402_300_799), ("253402300800", nil), ("99999999999999999999999", nil),
            ("+5", nil), ("-1", nil), ("１２", nil), ("٣", nil), ("1 ", nil), ("", nil), ("0x10", nil),
        ])
    func decimal(text: String, expected: Int64?) {
        #expect(ASCIINumber.parse(text, in: Timestamp.validSeconds) == expected)
    }

    @Test(
        "sizes: bytes or a binary suffix",
        arguments: [
            ("1", Int64?(1)), ("4096", 4096), ("4K", 4096), ("4KiB", 4096), ("3M", 3 << 20), ("4GiB", 4 << 30), ("2T", 2 << 40),
            ("1024T", 1 << 50), ("1025T", nil), ("0", nil), ("4kb", nil), ("4 G", nil), ("４G", nil), ("G", nil), ("-1", nil),
            ("99999999999999999999G", nil),
        ])
    func size(text: String, expected: Int64?) {
        #expect((try? CommandLineNumbers.size(text, option: "--max-agent-size")) == expected)
    }

    @Test(
        "durations: seconds, or numbers with h, m, s, ms",
        arguments: [
            ("90", Int64?(90_000)), ("0.05", 50), ("90s", 90_000), ("10m", 600_000), ("1h30m", 5_400_000), ("1.5h", 5_400_000),
            ("500ms", 500), ("2m3s", 123_000), ("8760h", 31_536_000_000), ("8761h", nil), ("0", nil), ("0s", nil),
            ("1e5", nil), ("10x", nil), ("m", nil), ("1h-1m", nil), ("１s", nil), (".s", nil), ("1.2.3s", nil),
            ("99999999999999999999h", nil), ("", nil),
        ])
    func duration(text: String, expectedMilliseconds: Int64?) {
        let duration = try? CommandLineNumbers.duration(text, option: "--timeout")
        #expect(duration.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 } == expectedMilliseconds)
    }

    @Test func outOfRangeSourceDateEpochIsAnError() {
        var options = PatchOptions()
        options.agentSettings["cid"] = "0123456789abcdef0123456789abcdef"
        options.sourceDateEpoch = .max
        #expect(throws: PatchError.self) { try ResolvedSettings(options) }
        #expect(Timestamp.rfc3339(.max) == "9999-12-31T23:59:59Z")
    }
}
