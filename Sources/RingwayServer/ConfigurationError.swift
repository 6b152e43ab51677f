/// A configuration the daemon cannot start with. ``description`` is one line that names the
/// setting, the value and what is allowed, as printed before the daemon exits.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The one-line explanation.
    public let description: String

    /// Creates an error with its one-line explanation.
    public init(_ description: String) {
        self.description = description
    }

    /// A value that is not allowed for a setting.
    /// - Parameters:
    ///   - setting: where the value came from: `RINGWAY_LISTEN`, or `listen in FILE`.
    ///   - value: the offending value as given.
    ///   - allowed: what the setting takes.
    static func invalid(_ setting: String, value: String, allowed: String) -> ConfigurationError {
        ConfigurationError("invalid setting \(setting)=\(quoted(value)): expected \(allowed)")
    }

    private static func quoted(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars.prefix(200) {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + (value.unicodeScalars.count > 200 ? "…\"" : "\"")
    }
}
