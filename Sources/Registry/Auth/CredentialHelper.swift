import Foundation
import JSON

/// Runs `docker-credential-NAME get`: the server URL on stdin, `{"Username","Secret"}` on stdout.
/// That is how ECR (`docker-credential-ecr-login`), GCR and desktop keychains hand out credentials.
struct CredentialHelper {
    let name: String

    func get(serverURL: String, registry: String) throws -> Credential? {
        let program = "docker-credential-\(name)"
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw RegistryError.credentials("the credential helper name \(name.debugDescription) is not valid")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program, "get"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw RegistryError.credentials("cannot run the credential helper \(program) for \(registry)")
        }
        input.fileHandleForWriting.write(Data(serverURL.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        _ = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // Helpers answer "credentials not found" with a non-zero exit: anonymous, as docker does.
            if String(decoding: data, as: UTF8.self).contains("credentials not found") { return nil }
            throw RegistryError.credentials("the credential helper \(program) failed for \(registry) (exit \(process.terminationStatus))")
        }
        guard data.count <= 1 << 20, let value = try? JSONValue(parsing: Array(data)),
              let username = value["Username"]?.stringValue, let secret = value["Secret"]?.stringValue else {
            throw RegistryError.credentials("the credential helper \(program) gave an answer that is not {\"Username\",\"Secret\"} for \(registry)")
        }
        // "<token>" as the user name marks an identity (refresh) token.
        return username == "<token>"
            ? Credential(username: "", secret: secret, kind: .identityToken)
            : Credential(username: username, secret: secret)
    }
}
