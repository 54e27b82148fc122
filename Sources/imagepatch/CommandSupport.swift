import ArgumentParser
import Dispatch
import Foundation
import Glibc
import IOFoundation
import ImagePatch
import Logging
import OCI

/// Shared by the subcommands: one error line on stderr and a non-zero exit, and logging to stderr
/// so stdout carries only the result.
enum CommandSupport {
    static func makeLogger(verbose: Bool, quiet: Bool = false) -> Logger {
        LoggingSystem.bootstrap { label in
            StderrLogHandler(logLevel: verbose ? .debug : (quiet ? .warning : .info))
        }
        return Logger(label: "imagepatch")
    }

    /// Runs a command's body. `timeout` is `--timeout`'s text; `afterTimeout` ends the error line
    /// when it passes, and must be true of a run stopped before its commit (see `RunGate`): blobs and
    /// platform manifests (by digest) may already be in the target then, but no tag has moved.
    /// `progress` (with the command's `--verbose`) starts the progress display the body gives the
    /// engine (`progressObserver`); it is stopped, its bars erased, before the run's error line.
    static func run(
        timeout: String? = nil, afterTimeout: String = "", progress: ProgressFlags? = nil, verbose: Bool = false,
        _ body: () async throws -> Void
    ) async throws {
        installInterruptHandlers()
        do {
            if let timeout { try armDeadline(timeout, afterTimeout: afterTimeout) }
            if let progress { ProgressDisplay.start(try progress.mode(verbose: verbose)) }
            // Archives, files and layers are read, unpacked and written by blocking calls: off the pool.
            try await BlockingExecutor.run { try await body() }
            ProgressDisplay.stop()
        } catch let error as ExitCode {
            ProgressDisplay.stop()
            throw error
        } catch {
            ProgressDisplay.stop()
            StderrOutput.write("imagepatch: error: ", String(describing: error))
            throw ExitCode(1)
        }
        // Past this point the deadline no longer stops the run; if it already has, the process is exiting.
        if !RunGate.commit() { StderrOutput.waitForExit() }
    }

    /// The progress display `run` started, for `PatchOptions.progress`; nil with `--progress none`.
    static var progressObserver: (any PatchProgressObserver)? { ProgressDisplay.current }

    /// Lines on stdout (results) go around the progress bars, which may share the terminal.
    /// A command's result on stdout, or in `output` written under a temporary name and renamed: an
    /// error leaves no file. From here on --timeout no longer stops the run, so the output is never
    /// cut short.
    static func writeOutput(_ bytes: [UInt8], to output: String?) throws {
        guard RunGate.commit() else { throw CancellationError() }
        guard let output, output != "-" else {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        let writer = try AtomicFileWriter(path: output)
        do {
            try writer.write(bytes)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    static func printJSON(_ bytes: [UInt8]) {
        StderrOutput.pausingLive { print(String(decoding: bytes, as: UTF8.self)) }
    }

    /// A line of human output on stdout, every control character in it escaped (so a line that
    /// means to hold a tab escapes its untrusted fields with `TerminalText.escaped` instead).
    static func printLine(_ text: String) {
        StderrOutput.pausingLive { print(TerminalText.escaped(text)) }
    }

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// SIGINT and SIGTERM remove the run's temporary files and staging directories, then exit with
    /// the shell's convention (128 + signal). Targets are untouched: they only ever change by rename.
    private static func installInterruptHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                StderrOutput.exit(
                    128 + signalNumber, after: InterruptCleanup.removeAll,
                    line: "imagepatch: interrupted; removing temporary files")
            }
            source.resume()
            keepAlive(source)
        }
    }

    /// `--timeout`: when the deadline passes before the commit, the run ends as an interrupted one
    /// does (temporary files removed), with one error line.
    private static func armDeadline(_ text: String, afterTimeout: String) throws {
        let duration = try CommandLineNumbers.duration(text, option: "--timeout")
        let (seconds, attoseconds) = duration.components
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
        timer.setEventHandler {
            guard RunGate.stop() else { return }
            StderrOutput.exit(
                1, after: InterruptCleanup.removeAll,
                line: "imagepatch: error: the run did not finish within --timeout \(TerminalText.escaped(text))\(afterTimeout)")
        }
        timer.resume()
        keepAlive(timer)
    }

    /// A source must outlive the run: it is retained once and never released (the process ends first).
    private static func keepAlive(_ source: DispatchSourceProtocol) { _ = Unmanaged.passRetained(source as AnyObject) }
}
