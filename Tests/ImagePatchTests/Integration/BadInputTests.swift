import Foundation
import Testing

/// Every refused input: non-zero exit, exactly one `imagepatch: error:` line naming the problem,
/// and nothing written (no target, no staging directory left beside it).
@Suite("Bad input is refused cleanly")
struct BadInputTests {
    @Test("refused with one error line and no output", arguments: BadInput.allCases)
    func refused(_ input: BadInput) async throws {
        let fixtures = try await Fixtures.ready()
        try await TempDirectory.with("bad-input") { tmp in
            let invocation = try input.invocation(fixtures, in: tmp)
            let target = tmp.appending("out")
            let run = try await ImagePatchCLI.patch(
                source: invocation.source, agent: invocation.agent,
                target: "oci:\(target):p", cid: invocation.cid,
                extra: invocation.extra, environment: invocation.environment)
            Expect.oneLineError(run, mentions: invocation.mentions)
            #expect(run.stdout.isEmpty, "nothing on stdout for a refused run: \(run.stdoutText)")
            Expect.nothingWritten(at: target)
        }
    }
}
