import Logging
import RingwayJSON

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's log handler: one line per event, as text for people or JSON for collectors.
///
/// Text: `2025-01-02T03:04:05.678Z info ringwayd: request method=GET path=/healthz status=200`.
/// JSON: `{"ts":"2025-01-02T03:04:05.678Z","level":"info","logger":"ringwayd","msg":"request","method":"GET",…}`
/// (metadata keys become top-level members; one that clashes with `ts`, `level`, `logger`, `msg`
/// or `error` is written with a `meta_` prefix).
public struct RingwayLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let output: LogOutput

    /// Creates a handler.
    public init(label: String, level: Logger.Level, format: LogFormat, output: LogOutput = .standardError) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.output = output
    }

    /// A logger that uses this handler, without touching the global logging system.
    public static func logger(
        label: String = "ringwayd", level: Logger.Level, format: LogFormat, output: LogOutput = .standardError
    ) -> Logger {
        Logger(label: label) { label in RingwayLogHandler(label: label, level: level, format: format, output: output) }
    }

    /// Makes this handler the process-wide default (call once, early).
    public static func bootstrap(level: Logger.Level, format: LogFormat, output: LogOutput = .standardError) {
        LoggingSystem.bootstrap { label in RingwayLogHandler(label: label, level: level, format: format, output: output) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let timestamp = Self.timestamp()
        let errorText = event.error.map { "\($0)" }
        switch format {
        case .text:
            var line = "\(timestamp) \(event.level.rawValue) \(label): \(event.message.description)"
            for key in merged.keys.sorted() {
                line += " \(key)=\(Self.text(merged[key]!))"
            }
            if let errorText { line += " error=\(errorText)" }
            output.write(line)
        case .json:
            var members: [JSONObject.Member] = [
                .init(name: "ts", value: .string(timestamp)),
                .init(name: "level", value: .string(event.level.rawValue)),
                .init(name: "logger", value: .string(label)),
                .init(name: "msg", value: .string(event.message.description)),
            ]
            if let errorText { members.append(.init(name: "error", value: .string(errorText))) }
            let reserved: Set = ["ts", "level", "logger", "msg", "error"]
            for key in merged.keys.sorted() {
                let name = reserved.contains(key) ? "meta_" + key : key
                members.append(.init(name: name, value: Self.json(merged[key]!)))
            }
            output.write(String(decoding: JSONWriter.encode(.object(JSONObject(members))), as: UTF8.self))
        }
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string):
            return string.contains(" ") || string.isEmpty ? "\"\(string)\"" : string
        case .stringConvertible(let convertible):
            return text(.string(convertible.description))
        case .array(let values):
            return "[" + values.map { text($0) }.joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.keys.sorted().map { "\($0)=\(text(values[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map { json($0) })
        case .dictionary(let values):
            .object(JSONObject(values.keys.sorted().map { JSONObject.Member(name: $0, value: json(values[$0]!)) }))
        }
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(1900 + Int(parts.tm_year), 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
            + ".\(pad(Int(spec.tv_nsec) / 1_000_000, 3))Z"
    }
}
