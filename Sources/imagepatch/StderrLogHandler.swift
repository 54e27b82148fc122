import Logging

/// Progress and notices on stderr, one plain line each, so stdout carries only the result
/// (`--json`) and CI logs stay readable. Never given credentials: callers log references and digests.
/// Messages carry untrusted names (tags, platforms, media types), so `StderrOutput` escapes them.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?,
        source: String, file: String, function: String, line: UInt
    ) {
        let prefix: String
        switch level {
        case .trace, .debug: prefix = "imagepatch: debug: "
        case .info: prefix = "imagepatch: "
        case .notice: prefix = "imagepatch: notice: "
        case .warning: prefix = "imagepatch: warning: "
        case .error, .critical: prefix = "imagepatch: error: "
        }
        StderrOutput.write(prefix, message.description)
    }
}
