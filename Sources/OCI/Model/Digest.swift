import Hashing

/// A content digest such as `sha256:9f86…`. Parsing validates the algorithm and the hex so that a
/// digest taken from an untrusted manifest can safely become a file name.
public struct Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let algorithm: DigestHasher.Algorithm
    public let hex: String

    public init(algorithm: DigestHasher.Algorithm = .sha256, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    public init(parsing text: String) throws(OCIError) {
        guard let colon = text.firstIndex(of: ":"),
            let algorithm = DigestHasher.Algorithm(rawValue: String(text[..<colon]))
        else {
            throw OCIError.invalidDigest(text)
        }
        let hex = String(text[text.index(after: colon)...])
        guard hex.utf8.count == algorithm.hexLength,
            hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw OCIError.invalidDigest(text)
        }
        self.init(algorithm: algorithm, hex: hex)
    }

    public static func sha256<Bytes: Collection<UInt8>>(of bytes: Bytes) -> Digest {
        Digest(algorithm: .sha256, hex: DigestHasher.hex(.sha256, of: bytes))
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }
    public var shortDescription: String { "\(algorithm.rawValue):\(hex.prefix(12))" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }
}
