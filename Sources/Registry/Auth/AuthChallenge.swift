/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
struct AuthChallenge: Equatable {
    enum Scheme: Equatable { case basic, bearer }
    var scheme: Scheme
    var parameters: [String: String]

    var realm: String? { parameters["realm"] }
    var service: String? { parameters["service"] }
    var scope: String? { parameters["scope"] }

    static func parse(_ header: String) -> AuthChallenge? {
        let trimmed = header.trimmingCharacters(in: " \t")
        guard let space = trimmed.firstIndex(of: " ") else {
            switch trimmed.lowercased() {
            case "basic": return AuthChallenge(scheme: .basic, parameters: [:])
            case "bearer": return AuthChallenge(scheme: .bearer, parameters: [:])
            default: return nil
            }
        }
        let schemeName = trimmed[..<space].lowercased()
        let scheme: Scheme
        switch schemeName {
        case "basic": scheme = .basic
        case "bearer": scheme = .bearer
        default: return nil
        }
        return AuthChallenge(scheme: scheme, parameters: parseParameters(trimmed[trimmed.index(after: space)...]))
    }

    /// `key="quoted, value",key2=token`: quoted strings may hold commas and escaped quotes.
    private static func parseParameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var index = text.startIndex
        func skip(_ characters: String) {
            while index < text.endIndex, characters.contains(text[index]) { index = text.index(after: index) }
        }
        while index < text.endIndex {
            skip(" \t,")
            let keyStart = index
            while index < text.endIndex, text[index] != "=" { index = text.index(after: index) }
            guard index < text.endIndex else { break }
            let key = text[keyStart..<index].trimmingCharacters(in: " \t").lowercased()
            index = text.index(after: index)
            var value = ""
            if index < text.endIndex, text[index] == "\"" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "\"" {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
                if index < text.endIndex { index = text.index(after: index) }
            } else {
                while index < text.endIndex, text[index] != "," {
                    value.append(text[index])
                    index = text.index(after: index)
                }
                value = value.trimmingCharacters(in: " \t")
            }
            result[key] = value
        }
        return result
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
