import ArgumentParser
import Dispatch
import Glibc
import OCI
import Logging

/// Shared by the subcommands: one error line on stderr and a non-zero exit, and logging to stderr
/// so stdout carries only the result.
enum CommandSupport {
    static func makeLogger(verbose: Bool, quiet: Bool = false) -> Logger {
        LoggingSystem.bootstrap { label in
            StderrLogHandler(logLevel: verbose ? .debug : (quiet ? .warning : .info))
        }
        return Logger(label: "imagepatch")
    }

    static func run(_ body: () async throws -> Void) async throws {
        installInterruptHandlers()
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let line = String(describing: error).split(separator: "\n").joined(separator: " ")
            fputs("imagepatch: error: \(line)\n", stderr)
            throw ExitCode(1)
        }
    }

    static func printJSON(_ bytes: [UInt8]) {
        print(String(decoding: bytes, as: UTF8.self))
    }

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// SIGINT and SIGTERM remove the run's temporary files and staging directories, then exit with
    /// the shell's convention (128 + signal). Targets are untouched: they only ever change by rename.
    private static func installInterruptHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                fputs("imagepatch: interrupted; removing temporary files\n", stderr)
                InterruptCleanup.removeAll()
                exit(128 + signalNumber)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []
}
