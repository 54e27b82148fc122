import Foundation
import Testing

/// Checks shared by several integration tests.
enum Expect {
    /// The patched entrypoint ran: the agent's stand-in announced itself (with the falcon
    /// preset's environment) before the application started, and the application exited 0.
    static func agentStartedBeforeApp(
        _ run: ProcessResult, uid: Int = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.exitCode == 0, "entrypoint failed: \(run)", sourceLocation: sourceLocation)
        let lines = run.stdoutLines
        let agentLine = "falcon-sensor: started (FALCONCTL_OPTS=--cid=\(ImagePatchCLI.cid) CS_CLOUD_SERVICE=ECS_FARGATE)"
        let appLine = "app: started uid=\(uid) args=hello"
        let agent = lines.firstIndex(of: agentLine)
        let app = lines.firstIndex(of: appLine)
        #expect(agent != nil, "no \(agentLine.debugDescription) in \(lines)", sourceLocation: sourceLocation)
        #expect(app != nil, "no \(appLine.debugDescription) in \(lines)", sourceLocation: sourceLocation)
        if let agent, let app {
            #expect(agent < app, "the agent must start before the application: \(lines)", sourceLocation: sourceLocation)
        }
    }

    /// A refused run: non-zero exit, exactly one `imagepatch: error:` line on stderr, last, containing
    /// every one of `mentions`, and no stdout result. Progress lines that came before it (stderr is
    /// also the progress channel) are allowed.
    static func oneLineError(
        _ run: ProcessResult, mentions: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.exitCode != 0, "expected a failure: \(run)", sourceLocation: sourceLocation)
        let lines = run.stderrLines
        #expect(
            lines.last?.hasPrefix("imagepatch: error:") == true, "the error must be the last line:\n\(run.stderrText)",
            sourceLocation: sourceLocation)
        #expect(
            lines.allSatisfy { $0.hasPrefix("imagepatch: ") }, "every stderr line comes from imagepatch:\n\(run.stderrText)",
            sourceLocation: sourceLocation)
        #expect(run.stdoutLines.isEmpty, "a refused run prints no result:\n\(run.stdoutLines)", sourceLocation: sourceLocation)
        let errorLines = lines.filter { $0.hasPrefix("imagepatch: error:") }
        #expect(
            errorLines.count == 1, "stderr must have one `imagepatch: error:` line:\n\(run.stderrText)",
            sourceLocation: sourceLocation)
        for text in mentions {
            #expect(
                errorLines.first?.contains(text) == true,
                "the error line should name \(text.debugDescription):\n\(run.stderrText)", sourceLocation: sourceLocation)
        }
    }

    /// Nothing was left at `target`, and no `.imagepatch-*` staging directory beside it.
    static func nothingWritten(at target: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fm = FileManager.default
        #expect(!fm.fileExists(atPath: target), "\(target) must not exist after a failed run", sourceLocation: sourceLocation)
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
        let leftovers = ((try? fm.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.hasPrefix(".imagepatch-") }
        #expect(leftovers.isEmpty, "temporary directories left in \(parent): \(leftovers)", sourceLocation: sourceLocation)
    }
}
