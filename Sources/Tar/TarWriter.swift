/// Writes a POSIX tar stream to a sink: a plain ustar header for every entry, and a pax extended
/// header before it only for what ustar cannot hold (a name or link target too long for its fields,
/// a size of 8 GiB or more, ids or times out of range). So GNU tar and every other reader list it
/// without a warning, and the same entries always give the same bytes.
///
/// Names and link targets are written as the bytes they are, never converted: "café" in NFC and in
/// NFD, two files on Linux, stay two names, and a link target that is not UTF-8 keeps its bytes.
/// (libarchive's pax writer could not do that without a `hdrcharset=BINARY` record on every entry,
/// which GNU tar warns about; this writer needs no C library at all.)
public final class TarWriter {
    private static let block = 512
    /// The largest value an octal field of `width` bytes holds (width - 1 digits and a NUL).
    private static func octalLimit(width: Int) -> Int64 { (1 << (3 * Int64(width - 1))) - 1 }

    private let sink: (UnsafeRawBufferPointer) throws -> Void
    /// Data bytes the current entry still owes, and the padding that follows them.
    private var owed: Int64 = 0
    private var declared: Int64 = 0
    private var padding = 0
    private var current = ""
    private var finished = false

    public init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
    }

    public func writeHeader(_ entry: TarEntry) throws {
        try endEntry()
        let typeflag: UInt8
        var size: Int64 = 0
        var link: [UInt8] = []
        switch entry.kind {
        case .regular:
            typeflag = UInt8(ascii: "0")
            size = entry.size
        case .hardlink:
            typeflag = UInt8(ascii: "1")
            link = entry.linkTargetBytes ?? []
        case .symlink:
            typeflag = UInt8(ascii: "2")
            link = entry.linkTargetBytes ?? []
        case .characterDevice: typeflag = UInt8(ascii: "3")
        case .blockDevice: typeflag = UInt8(ascii: "4")
        case .directory: typeflag = UInt8(ascii: "5")
        case .fifo: typeflag = UInt8(ascii: "6")
        case .socket: throw TarError("tar cannot hold the socket \(entry.path)")
        }
        guard size >= 0, entry.uid >= 0, entry.gid >= 0 else {
            throw TarError("cannot write the tar header of \(entry.path): a negative size or id")
        }
        let name = Array(entry.path.utf8)
        guard !name.isEmpty, !name.contains(0), !link.contains(0) else {
            throw TarError("cannot write the tar header of \(entry.path.debugDescription): an empty name or a NUL byte")
        }

        var header = [UInt8](repeating: 0, count: Self.block)
        var records = PaxRecords()
        if let (prefix, rest) = Self.ustarSplit(name) {
            Self.put(rest, at: 0, width: 100, in: &header)
            Self.put(prefix, at: 345, width: 155, in: &header)
        } else {
            records.add("path", name)
            Self.put(Array(name.prefix(100)), at: 0, width: 100, in: &header)
        }
        if link.count <= 100 {
            Self.put(link, at: 157, width: 100, in: &header)
        } else {
            records.add("linkpath", link)
            Self.put(Array(link.prefix(100)), at: 157, width: 100, in: &header)
        }
        Self.putOctal(Int64(entry.mode & 0o7777), at: 100, width: 8, in: &header)
        for (key, value, offset, width) in [("uid", entry.uid, 108, 8), ("gid", entry.gid, 116, 8), ("size", size, 124, 12)] {
            if value <= Self.octalLimit(width: width) {
                Self.putOctal(value, at: offset, width: width, in: &header)
            } else {
                records.add(key, Array(String(value).utf8))
                Self.putOctal(0, at: offset, width: width, in: &header)
            }
        }
        if (0...Self.octalLimit(width: 12)).contains(entry.modificationTime) {
            Self.putOctal(entry.modificationTime, at: 136, width: 12, in: &header)
        } else {
            records.add("mtime", Array(String(entry.modificationTime).utf8))
            Self.putOctal(0, at: 136, width: 12, in: &header)
        }
        header[156] = typeflag
        Self.put(Array("ustar".utf8), at: 257, width: 6, in: &header)
        Self.put(Array("00".utf8), at: 263, width: 2, in: &header)
        if entry.kind == .characterDevice || entry.kind == .blockDevice {
            Self.putOctal(0, at: 329, width: 8, in: &header)
            Self.putOctal(0, at: 337, width: 8, in: &header)
        }

        if !records.isEmpty {
            let body = records.encoded()
            var pax = [UInt8](repeating: 0, count: Self.block)
            Self.put(Array("././@PaxHeader".utf8), at: 0, width: 100, in: &pax)
            Self.putOctal(0o644, at: 100, width: 8, in: &pax)
            Self.putOctal(0, at: 108, width: 8, in: &pax)
            Self.putOctal(0, at: 116, width: 8, in: &pax)
            Self.putOctal(Int64(body.count), at: 124, width: 12, in: &pax)
            Self.putOctal(0, at: 136, width: 12, in: &pax)
            pax[156] = UInt8(ascii: "x")
            Self.put(Array("ustar".utf8), at: 257, width: 6, in: &pax)
            Self.put(Array("00".utf8), at: 263, width: 2, in: &pax)
            Self.sealChecksum(&pax)
            try emit(pax)
            try emit(body)
            try emit([UInt8](repeating: 0, count: Self.paddingAfter(Int64(body.count))))
        }
        Self.sealChecksum(&header)
        try emit(header)
        owed = size
        declared = size
        padding = Self.paddingAfter(size)
        current = entry.path
    }

    public func writeData(_ buffer: UnsafeRawBufferPointer) throws {
        guard Int64(buffer.count) <= owed else {
            throw TarError("more data than the \(declared)-byte size declared for \(current)")
        }
        if buffer.isEmpty { return }
        try sink(buffer)
        owed -= Int64(buffer.count)
    }

    /// Writes the end-of-archive marker (two zero blocks; no padding to a 10 KiB record: layers
    /// are streams, not tapes).
    public func finish() throws {
        try endEntry()
        guard !finished else { return }
        finished = true
        try emit([UInt8](repeating: 0, count: 2 * Self.block))
    }

    private func endEntry() throws {
        guard owed == 0 else { throw TarError("the data of \(current) ended \(owed) bytes short of its declared size") }
        if padding > 0 {
            try emit([UInt8](repeating: 0, count: padding))
            padding = 0
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink($0) }
    }

    private static func paddingAfter(_ size: Int64) -> Int { Int((Int64(block) - size % Int64(block)) % Int64(block)) }

    /// ustar's two name fields: `prefix` (155 bytes) and `name` (100), joined by a `/` that is not
    /// stored. Nil when the name cannot be split that way.
    static func ustarSplit(_ name: [UInt8]) -> (prefix: [UInt8], name: [UInt8])? {
        if name.count <= 100 { return ([], name) }
        guard name.count <= 256 else { return nil }
        // The shortest prefix that leaves at most 100 bytes of name; the slash is dropped, and an
        // empty prefix would lose a leading one.
        for index in max(1, name.count - 101)..<min(156, name.count - 1) where name[index] == UInt8(ascii: "/") {
            return (Array(name[..<index]), Array(name[(index + 1)...]))
        }
        return nil
    }

    private static func put(_ bytes: [UInt8], at offset: Int, width: Int, in header: inout [UInt8]) {
        for (i, byte) in bytes.prefix(width).enumerated() { header[offset + i] = byte }
    }

    /// Zero-padded octal digits filling all but the last byte of the field, which stays NUL.
    private static func putOctal(_ value: Int64, at offset: Int, width: Int, in header: inout [UInt8]) {
        var digits = Array(String(value, radix: 8).utf8)
        digits.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)), at: 0)
        put(digits, at: offset, width: width - 1, in: &header)
        header[offset + width - 1] = 0
    }

    /// The checksum is the byte sum of the header with its own field read as spaces.
    private static func sealChecksum(_ header: inout [UInt8]) {
        for i in 148..<156 { header[i] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int64($1) }
        putOctal(sum, at: 148, width: 7, in: &header)
        header[155] = UInt8(ascii: " ")
    }
}

/// The records of one pax extended header, in the order added.
struct PaxRecords {
    private var records: [(key: String, value: [UInt8])] = []
    var isEmpty: Bool { records.isEmpty }

    mutating func add(_ key: String, _ value: [UInt8]) { records.append((key, value)) }

    /// `"<length> <key>=<value>\n"` each, the length counting its own digits. POSIX wants path and
    /// linkpath values in UTF-8; one that is not gets a `hdrcharset=BINARY` record first (only then,
    /// since GNU tar warns about that keyword).
    func encoded() -> [UInt8] {
        var all = records
        if all.contains(where: { ($0.key == "path" || $0.key == "linkpath") && String(validating: $0.value, as: UTF8.self) == nil }) {
            all.insert(("hdrcharset", Array("BINARY".utf8)), at: 0)
        }
        var out: [UInt8] = []
        for (key, value) in all {
            let rest = 1 + key.utf8.count + 1 + value.count + 1  // " key=value\n"
            var length = rest + 1
            while String(length).utf8.count + rest != length { length = String(length).utf8.count + rest }
            out += Array("\(length) \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        }
        return out
    }
}
