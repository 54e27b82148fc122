import Foundation

/// Runs the binary with its stderr on a real pseudo-terminal (Python's `pty`), so `isatty(2)` is
/// true as on a person's terminal, and returns every byte it wrote there. The terminal does not
/// turn `\n` into `\r\n` (ONLCR is off), so the bytes are exactly the program's. stdout goes to a
/// file, as a user's `> result.txt` would.
enum PseudoTerminal {
    struct Run: CustomStringConvertible {
        let status: Int32  // the exit code, or 128 + the signal that ended it
        let stderr: String
        let stdout: String
        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr (raw):\n\(stderr.debugDescription)" }
    }

    /// `interruptOn`: once this text has appeared on the terminal, the child gets SIGINT.
    static func run(
        _ arguments: [String], environment: [String: String?] = [:], interruptOn: String? = nil, columns: Int = 100, rows: Int = 30
    ) async throws -> Run {
        try await TempDirectory.with("pty") { scratch in
            let (raw, out) = (scratch.appending("raw"), scratch.appending("stdout"))
            let cache = scratch.appending("cache")
            var env: [String: String?] = ["CI": nil, "TERM": "xterm", "SOURCE_DATE_EPOCH": nil, "XDG_CACHE_HOME": cache]
            for (key, value) in environment { env[key] = value }
            let result = try await ProcessRunner.run(
                "python3",
                ["-c", script, raw, out, interruptOn ?? "", "\(columns)", "\(rows)", try RepositoryPaths.binary()] + arguments,
                environment: env)
            guard result.succeeded, let status = Int32(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw CommandFailed(result: result)
            }
            return Run(
                status: status,
                stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: raw)), as: UTF8.self),
                stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self))
        }
    }

    private static let script = #"""
        import fcntl, os, pty, signal, struct, subprocess, sys, termios
        raw_path, out_path, interrupt_on, cols, rows = sys.argv[1:6]
        command = sys.argv[6:]
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", int(rows), int(cols), 0, 0))
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        with open(out_path, "wb") as out:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=slave, close_fds=True)
        os.close(slave)
        data = b""
        interrupted = not interrupt_on
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            if not interrupted and interrupt_on.encode() in data:
                child.send_signal(signal.SIGINT)
                interrupted = True
        code = child.wait()
        with open(raw_path, "wb") as f:
            f.write(data)
        print(128 - code if code < 0 else code)
        """#
}

/// What a terminal shows of stderr output: the text after the last erasure of the live area
/// (`ESC[J`), as lines. Bars drawn and erased before it are gone from the screen.
enum TerminalTail {
    static let erase = "\u{1B}[J"

    static func lines(after output: String) -> [String] {
        let tail = output.range(of: erase, options: .backwards).map { String(output[$0.upperBound...]) } ?? output
        return ProcessResult.lines(tail)
    }
}

/// Runs a shell command line in a detached tmux session of its own (its own server socket), and
/// returns what the pane shows once the command has finished: a real terminal's final screen.
/// Python drives tmux: its children get no descriptor but the ones given (close_fds), so the
/// tmux server it starts keeps none of the test runner's pipes open.
enum TmuxScreen {
    static func capture(_ commandLine: String, columns: Int = 300, rows: Int = 50) async throws -> (status: Int32, screen: [String]) {
        try await TempDirectory.with("tmux") { scratch in
            let result = try await ProcessRunner.run(
                "python3", ["-c", script, scratch.appending("socket"), "\(columns)", "\(rows)", commandLine])
            guard result.succeeded, let status = result.stdoutLines.first.flatMap({ Int32($0) }) else {
                throw CommandFailed(result: result)
            }
            var screen = Array(result.stdoutLines.dropFirst())
            while screen.last?.isEmpty == true { screen.removeLast() }
            return (status, screen)
        }
    }

    /// Starts the session (the shell records the command's exit status, then keeps the pane open),
    /// waits for the status (at most 2 minutes: a hang fails, no duration is asserted), prints it
    /// and the pane, and stops the server.
    private static let script = #"""
        import os, subprocess, sys, time
        socket, columns, rows, line = sys.argv[1:5]
        status_path = socket + ".status"
        quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "TMUX")}
        subprocess.run(["tmux", "-S", socket, "-f", "/dev/null", "new-session", "-d", "-x", columns, "-y", rows,
                        "sh", "-c", f"{line}; echo $? > {status_path}; exec sleep 600"], env=env, check=True, **quiet)
        try:
            for _ in range(1200):
                if os.path.exists(status_path) and open(status_path).read().strip():
                    break
                time.sleep(0.1)
            else:
                sys.exit("the command in tmux did not finish within 2 minutes")
            screen = subprocess.run(["tmux", "-S", socket, "capture-pane", "-p", "-J", "-t", "0"], check=True,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE).stdout.decode()
            print(open(status_path).read().strip())
            sys.stdout.write(screen)
        finally:
            subprocess.run(["tmux", "-S", socket, "kill-server"], **quiet)
        """#
}

/// A single-quoted shell word.
func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
