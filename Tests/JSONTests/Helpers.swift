@testable import JSON

func parse(_ text: String, maxDepth: Int = 100) throws(JSONError) -> JSONValue {
    try JSONValue(parsing: Array(text.utf8), maxDepth: maxDepth)
}

func compact(_ value: JSONValue) -> String {
    String(decoding: value.serialized(), as: UTF8.self)
}

func pretty(_ value: JSONValue, indent: Int = 2) -> String {
    String(decoding: value.serialized(indent: indent), as: UTF8.self)
}
