/// Writes the Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines,
/// then samples `name{label="value",…} number`, one per line.
struct PrometheusWriter {
    /// The metric types used here.
    enum MetricType: String {
        case counter, gauge, histogram
    }

    /// The content type of the format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(8 << 10)
    }

    /// Starts a metric family.
    mutating func family(_ name: String, _ type: MetricType, _ help: String) {
        append("# HELP \(name) ")
        for character in help.unicodeScalars {
            switch character {
            case "\\": append("\\\\")
            case "\n": append("\\n")
            default: append(String(character))
            }
        }
        append("\n# TYPE \(name) \(type.rawValue)\n")
    }

    /// One sample without labels.
    mutating func sample(_ name: String, _ value: Int) {
        line(name, [:], String(value))
    }

    /// One sample with an integer value.
    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        line(name, labels, String(value))
    }

    /// One sample with a value in seconds.
    mutating func sample(_ name: String, seconds: Double) {
        line(name, [:], seconds.isFinite ? "\(seconds)" : "NaN")
    }

    private mutating func line(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: String) {
        append(name)
        if !labels.isEmpty {
            append("{")
            for (index, (key, labelValue)) in labels.enumerated() {
                if index > 0 { append(",") }
                append(key)
                append("=\"")
                appendEscapedLabel(labelValue)
                append("\"")
            }
            append("}")
        }
        append(" ")
        append(value)
        append("\n")
    }

    private mutating func appendEscapedLabel(_ value: String) {
        for character in value.unicodeScalars {
            switch character {
            case "\\": append("\\\\")
            case "\"": append("\\\"")
            case "\n": append("\\n")
            default: append(String(character))
            }
        }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}
