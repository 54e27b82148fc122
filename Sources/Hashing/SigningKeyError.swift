/// Why a signing key could not be used. Each description is one sentence naming the key file, and
/// none of them can carry the passphrase: no case takes the passphrase or text derived from it.
public enum SigningKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(path: String, reason: String)
    case notRegularFile(path: String, kind: String)
    case tooLarge(path: String, limit: Int)
    case notAPrivateKey(path: String, reason: String)
    case passphraseRequired(path: String)
    case wrongPassphrase(path: String)
    case unsupportedKey(path: String, found: String)
    case passphraseFileUnusable(path: String, reason: String)
    case tooCostly(path: String, reason: String)
    case mismatchedPublicKey(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "signing key \(path.debugDescription) cannot be read: \(reason)"
        case .notRegularFile(let path, let kind):
            "signing key \(path.debugDescription) is \(kind), not a regular file"
        case .tooLarge(let path, let limit):
            "signing key \(path.debugDescription) is larger than the \(limit)-byte limit for a key file"
        case .notAPrivateKey(let path, let reason):
            "signing key \(path.debugDescription) is not a PEM private key: \(reason)"
        case .passphraseRequired(let path):
            "signing key \(path.debugDescription) is encrypted and no passphrase was given (use --sign-passphrase-file or IMAGEPATCH_SIGN_PASSPHRASE)"
        case .wrongPassphrase(let path):
            "signing key \(path.debugDescription) cannot be decrypted with the passphrase given (wrong passphrase or damaged key)"
        case .unsupportedKey(let path, let found):
            "signing key \(path.debugDescription) is \(found); only ECDSA P-256 (prime256v1) keys are supported"
        case .passphraseFileUnusable(let path, let reason):
            "passphrase file \(path.debugDescription) cannot be used: \(reason)"
        case .tooCostly(let path, let reason):
            "signing key \(path.debugDescription) asks for too much work to decrypt: \(reason)"
        case .mismatchedPublicKey(let path):
            "signing key \(path.debugDescription) is damaged: its public key does not belong to its private key, so nothing it signed would verify"
        }
    }

    /// The same error about another file name (a key read from bytes is named by its caller).
    public func naming(_ path: String) -> SigningKeyError {
        switch self {
        case .unreadable(_, let reason): .unreadable(path: path, reason: reason)
        case .notRegularFile(_, let kind): .notRegularFile(path: path, kind: kind)
        case .tooLarge(_, let limit): .tooLarge(path: path, limit: limit)
        case .notAPrivateKey(_, let reason): .notAPrivateKey(path: path, reason: reason)
        case .passphraseRequired: .passphraseRequired(path: path)
        case .wrongPassphrase: .wrongPassphrase(path: path)
        case .unsupportedKey(_, let found): .unsupportedKey(path: path, found: found)
        case .passphraseFileUnusable(_, let reason): .passphraseFileUnusable(path: path, reason: reason)
        case .tooCostly(_, let reason): .tooCostly(path: path, reason: reason)
        case .mismatchedPublicKey: .mismatchedPublicKey(path: path)
        }
    }
}
