import Foundation
import JSON
import OCI
import Testing

@testable import ImagePatch

/// `created` of the inputs decides the patched image's time when SOURCE_DATE_EPOCH is unset.
@Suite("Timestamps read from configs")
struct TimestampTests {
    @Test(
        "RFC 3339 times are read as whole seconds, checked against Foundation",
        arguments: [
            "2023-11-14T22:13:20Z", "2023-11-14T22:13:20.123456789Z", "2024-02-29T23:59:59+02:00",
            "1999-12-31T23:30:00-05:30", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2023-11-14t22:13:20z",
        ])
    func readsValidTimes(text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        let expected = formatter.date(from: text.uppercased()).map { Int64($0.timeIntervalSince1970.rounded(.down)) }
        #expect(expected != nil)
        #expect(Timestamp.seconds(rfc3339: text) == expected)
    }

    @Test(
        "anything else is not a time",
        arguments: [
            "", "2023-11-14", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z", "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20+0200", "1969-12-31T23:59:59Z", "２０２３-11-14T22:13:20Z", "2023-11-14T22:13:20Z ",
            String(repeating: "9", count: 100),
        ])
    func refusesOthers(text: String) {
        #expect(Timestamp.seconds(rfc3339: text) == nil)
    }

    @Test func derivedIsTheLaterInput() throws {
        func config(_ created: JSONValue?) throws -> ImageConfig {
            var object = JSONObject()
            if let created { object["created"] = created }
            return ImageConfig(json: object)
        }
        #expect(
            Timestamp.derived(from: [try config(.string("2020-01-01T00:00:00Z")), try config(.string("2021-01-01T00:00:00Z"))])
                == 1_609_459_200)
        #expect(Timestamp.derived(from: [try config(.string("not a time")), try config(.integer(5)), try config(nil)]) == 0)
        #expect(Timestamp.derived(from: [try config(.string("2020-01-01T00:00:00Z")), try config(.string("garbage"))]) == 1_577_836_800)
    }
}
