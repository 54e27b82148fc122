import Foundation
import HTTP
import OCI
import Testing

@testable import Registry

/// The error codes of a registry's error body, typed so callers can match on them, and shown in
/// the error line as the registry sent them: bounded, without control characters.
@Suite("Registry: error codes")
struct RegistryErrorCodeTests {
    @Test(
        "the distribution spec's codes are matched by name; any other is kept as sent",
        arguments: [
            ("BLOB_UNKNOWN", RegistryErrorCode.blobUnknown), ("BLOB_UPLOAD_INVALID", .blobUploadInvalid),
            ("BLOB_UPLOAD_UNKNOWN", .blobUploadUnknown), ("DIGEST_INVALID", .digestInvalid),
            ("MANIFEST_BLOB_UNKNOWN", .manifestBlobUnknown), ("MANIFEST_INVALID", .manifestInvalid),
            ("MANIFEST_UNKNOWN", .manifestUnknown), ("NAME_INVALID", .nameInvalid), ("NAME_UNKNOWN", .nameUnknown),
            ("SIZE_INVALID", .sizeInvalid), ("UNAUTHORIZED", .unauthorized), ("DENIED", .denied),
            ("UNSUPPORTED", .unsupported), ("TOOMANYREQUESTS", .tooManyRequests),
            ("UNAVAILABLE", .other("UNAVAILABLE")), ("denied", .other("denied")), ("", .other("")),
        ])
    func codeNames(text: String, code: RegistryErrorCode) {
        #expect(RegistryErrorCode(text) == code)
        #expect(code.description == text)
    }

    @Test("an error body reads as CODE: message, at most three entries, entries without a string code skipped")
    func bodyEntries() {
        let body =
            #"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"},{"code":7},"#
            + #"{"code":"NAME_UNKNOWN"},{"code":"BLOB_UNKNOWN","message":"fourth"}]}"#
        let codes = RegistryErrorCodes(body: Array(body.utf8))
        #expect(codes.codes == [.denied, .nameUnknown])
        #expect(codes.contains(.denied) && !codes.contains(.blobUnknown))
        #expect("\(codes)" == "DENIED: requested access to the resource is denied; NAME_UNKNOWN")
    }

    @Test("a body that is not an error body gives no codes", arguments: ["", "not json", "[]", #"{"errors":{}}"#, #"{"errors":[]}"#])
    func notAnErrorBody(body: String) {
        let codes = RegistryErrorCodes(body: Array(body.utf8))
        #expect(codes.isEmpty && codes.codes.isEmpty && "\(codes)" == "")
    }

    @Test("a hostile registry's code and message lose their control characters and are cut at 300 characters")
    func hostileText() {
        let long = String(repeating: "é", count: 1000)
        let body = #"{"errors":[{"code":"X\u001b[2JY","message":"a\u0007b\u007fc"},{"code":"Z","message":""# + long + #""}]}"#
        let codes = RegistryErrorCodes(body: Array(body.utf8))
        #expect(codes.codes == [.other("X[2JY"), .other("Z")])
        #expect("\(codes)" == "X[2JY: abc; Z: " + String(repeating: "é", count: 300 - 15))
    }

    @Test("a refusal's error line is unchanged, and the error carries the codes to match on")
    func refusalCarriesCodes() async throws {
        let http = ScriptedHTTP { request, _ in
            try ScriptedHTTP.refusingTLS(request)
            if request.url == "http://127.0.0.1:5000/v2/" { return ScriptedHTTP.json("{}") }
            return ScriptedHTTP.json(#"{"errors":[{"code":"DENIED","message":"no"},{"code":"ODD_CODE"}]}"#, status: 403)
        }
        let source = try await scriptedTransport(http).source("127.0.0.1:5000/app:1")
        let error = try #require(await #expect(throws: RegistryError.self) { _ = try await source.rootManifest() })
        #expect(error.codes == [.denied, .other("ODD_CODE")])
        #expect("\(error)".hasSuffix("HTTP 403 DENIED: no; ODD_CODE"), "\(error)")
    }
}
