import Foundation
import Glibc
import IOFoundation
import JSON
import OCI

/// Runs `docker-credential-NAME get`: the server URL on stdin, `{"Username","Secret"}` on stdout.
/// That is how ECR (`docker-credential-ecr-login`), GCR and desktop keychains hand out credentials.
/// The helper is a program from the user's PATH, but its answer is still bounded: at most
/// `answerBytes`, within `timeoutSeconds`, or it is stopped and the run fails with one line.
struct CredentialHelper {
    let name: String
    /// The PATH-style directory list the program is looked up in.
    let searchPath: String
    static let answerBytes = 1 << 20
    static let timeoutSeconds = 60

    func get(serverURL: String, registry: String) throws -> Credential? {
        let program = "docker-credential-\(name)"
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
            throw RegistryError.credentials("the credential helper name \(name.debugDescription) is not valid")
        }
        guard let executable = Self.locate(program, in: searchPath) else {
            throw RegistryError.credentials("the credential helper \(program) for \(registry) is not on PATH")
        }
        let (status, answer) = try Self.run(executable, input: Array(serverURL.utf8), registry: registry)
        guard status == 0 else {
            // Helpers answer "credentials not found" with a non-zero exit: anonymous, as docker does.
            if String(decoding: answer, as: UTF8.self).contains("credentials not found") { return nil }
            throw RegistryError.credentials("the credential helper \(program) failed for \(registry) (exit \(status))")
        }
        guard let value = try? JSONValue(parsing: answer),
            let username = value["Username"]?.stringValue, let secret = value["Secret"]?.stringValue
        else {
            throw RegistryError.credentials(
                "the credential helper \(program) gave an answer that is not {\"Username\",\"Secret\"} for \(registry)")
        }
        // "<token>" as the user name marks an identity (refresh) token.
        let credential =
            username == "<token>"
            ? Credential(username: "", secret: secret, kind: .identityToken)
            : Credential(username: username, secret: secret)
        return try credential.checked(for: registry, from: "the credential helper \(program)")
    }
}

extension CredentialHelper {
    /// The first executable regular file named `program` in the directories of `searchPath`;
    /// empty entries are skipped (the current directory is no place to take a helper from).
    static func locate(_ program: String, in searchPath: String) -> String? {
        for directory in searchPath.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(program)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `executable get` (an absolute path) with `input` on its stdin; returns its exit status and its
    /// stdout, bounded in size and time (a helper past either is killed). Its stderr is not read:
    /// an unread pipe could fill up and stall it. posix_spawn rather than Foundation's Process, so
    /// that the input is in the pipe before the helper starts (a helper that exits without
    /// reading it cannot raise SIGPIPE here) and nothing depends on a run loop.
    static func run(
        _ executable: String, input: [UInt8], registry: String,
        timeout: Duration = .seconds(timeoutSeconds)
    ) throws -> (status: Int32, output: [UInt8]) {
        let program = (executable as NSString).lastPathComponent
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard Self.makePipe(&toChild) else {
            throw RegistryError.credentials("cannot run the credential helper \(program) for \(registry)")
        }
        defer { toChild.filter { $0 >= 0 }.forEach { close($0) } }
        guard Self.makePipe(&fromChild) else {
            throw RegistryError.credentials("cannot run the credential helper \(program) for \(registry)")
        }
        defer { fromChild.filter { $0 >= 0 }.forEach { close($0) } }
        // A server URL is far below the pipe's capacity, so this never blocks.
        guard input.count < 4096, input.withUnsafeBytes({ write(toChild[1], $0.baseAddress, $0.count) }) == input.count else {
            throw RegistryError.credentials("cannot run the credential helper \(program) for \(registry)")
        }
        close(toChild[1])
        toChild[1] = -1

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [executable, "get"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        var spawned = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        // ETXTBSY: the program was just written and a process forked meanwhile still holds it open
        // for writing (until that process execs). It passes within moments.
        for _ in 0..<60 where spawned == ETXTBSY {
            usleep(50_000)
            spawned = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        }
        guard spawned == 0 else {
            throw RegistryError.credentials(
                "cannot run the credential helper \(program) for \(registry): \(String(cString: strerror(spawned)))")
        }
        close(fromChild[1])
        fromChild[1] = -1
        let what = "the answer of the credential helper \(program) for \(registry)"
        let output: [UInt8]
        do {
            output = try DeadlineReader(descriptor: fromChild[0], what: what, timeout: timeout)
                .readAll(limit: answerBytes, what: what)
        } catch {
            kill(pid, SIGKILL)
            _ = waitForExit(pid)
            let known = (error as? OCIError)?.description ?? (error as? IOError)?.description
            throw RegistryError.credentials(known ?? "cannot read \(what)")
        }
        let status = waitForExit(pid)
        return (status, output)
    }

    /// A pipe whose ends close on exec: only the helper's dup2'd copies reach it.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// The exit status (128 + the signal for a killed helper).
    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// A pipe read that gives up at a deadline: a helper that never answers must not hold the run.
private final class DeadlineReader: ByteReader {
    let descriptor: Int32
    let what: String
    let timeout: Duration
    let deadline: ContinuousClock.Instant

    init(descriptor: Int32, what: String, timeout: Duration) {
        self.descriptor = descriptor
        self.what = what
        self.timeout = timeout
        self.deadline = ContinuousClock.now + timeout
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw OCIError.io("\(what) did not come within \(timeout.components.seconds) s") }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + 1, 60_000))
            let ready = poll(&request, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw OCIError.io("cannot read \(what): \(String(cString: strerror(errno)))") }
            if ready == 0 { continue }
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR || errno == EAGAIN { continue }
            throw OCIError.io("cannot read \(what): \(String(cString: strerror(errno)))")
        }
    }
}
