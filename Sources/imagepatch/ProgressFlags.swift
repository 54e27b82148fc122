import ArgumentParser
import Glibc
import ImagePatch

/// `--progress`: how a run shows its progress on stderr.
enum ProgressMode: String, CaseIterable, ExpressibleByArgument {
    /// tty on a terminal (stderr is one, `CI` is not set and `TERM` is not `dumb`), plain otherwise.
    case auto
    /// Live bars redrawn in place, under the plain lines.
    case tty
    /// One line per finished step (and a line every 10 s of a long transfer); no escape sequences.
    case plain
    /// Nothing on a successful run: only warnings and errors.
    case none
}

/// `--progress auto|tty|plain|none` and `--quiet` (`--progress none`).
struct ProgressFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Progress on stderr: auto (tty on a terminal, else plain), tty (live bars), plain (one line per step) or none.",
            valueName: "mode"))
    var progress: ProgressMode?

    @Flag(name: .shortAndLong, help: "Print nothing on stderr but warnings and errors (--progress none).")
    var quiet = false

    /// No info lines: the logger is made before the flags are checked, so a contradiction (refused
    /// by `mode`) is quiet too.
    var isQuiet: Bool { quiet || progress == ProgressMode.none }

    /// The mode asked for, `auto` resolved; `--quiet` with `--verbose` or another mode is refused.
    func mode(verbose: Bool) throws -> ProgressMode {
        if quiet, let progress, progress != .none {
            throw PatchError.invalidOption("--quiet", "cannot be used with --progress \(progress.rawValue)")
        }
        if isQuiet && verbose {
            throw PatchError.invalidOption(quiet ? "--quiet" : "--progress none", "cannot be used with --verbose")
        }
        if quiet { return .none }
        switch progress ?? .auto {
        case .auto:
            return Self.isInteractive(
                stderrIsTerminal: isatty(2) == 1, ci: CommandSupport.environment("CI"), term: CommandSupport.environment("TERM"))
                ? .tty : .plain
        case let mode: return mode
        }
    }

    /// A person watching a terminal able to move its cursor, and no CI system's log behind it.
    static func isInteractive(stderrIsTerminal: Bool, ci: String?, term: String?) -> Bool {
        stderrIsTerminal && (ci ?? "").isEmpty && term != "dumb"
    }
}
