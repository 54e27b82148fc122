#if DEBUG
    @testable import Registry

    /// Any text as a `WWW-Authenticate` header value: parsed or refused, never a trap.
    enum AuthChallengeHarness {
        static func run(_ input: [UInt8]) throws {
            guard let challenge = AuthChallenge.parse(String(decoding: input, as: UTF8.self)) else { return }
            for key in challenge.parameters.keys {
                try require(key == key.lowercased(), "the parameter name \(key.debugDescription) is not lowercased")
            }
            _ = (challenge.realm, challenge.service, challenge.scope)
        }
    }
#endif
