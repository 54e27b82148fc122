import Foundation
import Glibc
import JSON
import Logging
import Synchronization

/// One JSON object per line on stderr (`{"time":…,"level":…,"msg":…,"namespace":…}`), the shape
/// Kubernetes log collectors parse. Metadata values are logged as strings; callers never give it
/// credentials or key material.
public struct JSONLinesLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    /// - Parameter write: where a finished line goes; stderr by default.
    public init(label: String, logLevel: Logger.Level = .info, write: @escaping @Sendable ([UInt8]) -> Void = JSONLinesLogHandler.stderr) {
        self.label = label
        self.logLevel = logLevel
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
        source: String, file: String, function: String, line: UInt
    ) {
        var object = JSONObject()
        object["time"] = .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object["level"] = .string(level.rawValue)
        object["logger"] = .string(label)
        object["msg"] = .string(message.description)
        let merged = metadata.merging(explicit ?? [:]) { _, new in new }
        for key in merged.keys.sorted() where object[key] == nil {
            object[key] = Self.json(merged[key]!)
        }
        write(JSONValue.object(object).serialized() + [UInt8(ascii: "\n")])
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().map { ($0, json(dictionary[$0]!)) }))
        }
    }

    private static let lock = Mutex(())

    /// Whole lines, one writer at a time.
    public static let stderr: @Sendable ([UInt8]) -> Void = { bytes in
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}
