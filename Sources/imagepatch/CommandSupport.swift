import ArgumentParser
import Glibc
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
}
