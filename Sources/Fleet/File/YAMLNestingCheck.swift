/// A bound on nesting, checked on the bytes before libyaml sees them. libyaml slows down
/// quadratically with the depth of flow collections (`[[[[…`: 20,000 levels take seconds) and
/// Yams composes recursively (a line of 1,000,000 compact `- ` entries overflows even a 1 GiB
/// stack), so both are counted here first: flow depth, and compact block entries on one line.
/// The count errs on the high side: brackets inside plain scalars count, quoted strings and
/// comments do not (a string is taken to end at the end of its line, so a string that goes on
/// can only make the count higher). Nesting by indentation needs its square in bytes, so the file
/// size bounds it (about 2,900 levels, which Yams composes on the parser's large stack).
enum YAMLNestingCheck {
    static let maxDepth = 64

    static func check(_ bytes: [UInt8], file: String) throws(FleetError) {
        var flowDepth = 0
        var compactEntries = 0
        var line = 1
        var previous: UInt8?  // the last byte on this line that was not a space, nil at its start
        var index = 0
        func isBlank(_ at: Int) -> Bool { at >= bytes.count || [0x20, 0x09, 0x0a, 0x0d].contains(bytes[at]) }
        func deeper(_ what: String) -> FleetError {
            FleetError(file: file, place: String(line), "nests \(what) deeper than \(maxDepth) levels; a fleet file has four")
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x0a:
                line += 1
                compactEntries = 0
                previous = nil
                index += 1
                continue
            case 0x20, 0x09, 0x0d:
                index += 1
                continue
            case UInt8(ascii: "#") where index == 0 || isBlank(index - 1):
                while index < bytes.count && bytes[index] != 0x0a { index += 1 }
                continue
            case UInt8(ascii: "\""),
                UInt8(ascii: "'") where previous == nil || "[{,:-?".utf8.contains(previous!):
                index += 1
                while index < bytes.count && bytes[index] != 0x0a {
                    if byte == UInt8(ascii: "\"") && bytes[index] == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if bytes[index] == byte {
                        if byte == UInt8(ascii: "'") && index + 1 < bytes.count && bytes[index + 1] == byte {
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                previous = byte
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flowDepth += 1
                if flowDepth > maxDepth { throw deeper("its brackets") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flowDepth = max(0, flowDepth - 1)
            case UInt8(ascii: "-"),
                UInt8(ascii: "?")
            where isBlank(index + 1) && (previous == nil || previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?")):
                compactEntries += 1
                if compactEntries > maxDepth { throw deeper("its entries on one line") }
            default:
                break
            }
            previous = byte
            index += 1
        }
    }
}
