import Attestation
import Foundation
import TestTools
import Testing

@Suite("Attestation: base64 and timestamps")
struct EncodingTests {
    @Test("base64 matches Python's for every length up to 70, and decodes back")
    func base64MatchesPython() async throws {
        let inputs = (0...70).map { length in (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ length) } }
        let script = """
            import sys, base64
            for line in sys.stdin.read().split():
                print("y" + base64.b64encode(bytes.fromhex(line[1:])).decode())
            """
        let stdin = inputs.map { "x" + hex($0) }.joined(separator: "\n")
        let expected = try await Tools.check("python3", ["-c", script], stdin: stdin).stdout.split(separator: "\n").map {
            String($0.dropFirst())
        }
        #expect(expected.count == inputs.count)
        for (input, reference) in zip(inputs, expected) {
            #expect(Base64.encode(input) == reference)
            #expect(Base64.decode(reference) == input)
        }
    }

    @Test(
        "base64 that is not canonical is refused",
        arguments: ["A", "AB", "ABC", "A===", "AB=C", "ABC?", "AB==AB==", "QR==", "QUJ=", "AB C"])
    func base64Refuses(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("RFC 3339 timestamps match Python's datetime", arguments: [Int64(0), 951_782_400, 1_780_453_406, 4_102_444_799, -1, -86_401])
    func timestamps(seconds: Int64) async throws {
        let script = """
            import sys, datetime
            print(datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            """
        let reference = try await Tools.check("python3", ["-c", script, String(seconds)]).stdout
        #expect(Timestamp(secondsSinceEpoch: seconds).description + "\n" == reference)
    }
}
