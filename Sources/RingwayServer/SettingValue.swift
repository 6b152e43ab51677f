import RingwayJSON

/// A raw setting as it arrives from the configuration file (JSON) or the environment (text).
enum SettingValue: Sendable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case null
    /// A JSON array or object: never valid for a setting.
    case structured

    init(_ json: JSONValue) {
        switch json {
        case .string(let text): self = .text(text)
        case .number(let number): self = .number(number)
        case .bool(let flag): self = .bool(flag)
        case .null: self = .null
        case .array, .object: self = .structured
        }
    }

    /// The value as the operator wrote it, for error messages.
    var display: String {
        switch self {
        case .text(let text): text
        case .number(let number):
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .structured: "(array or object)"
        }
    }
}

/// Why a single value was refused; the loader adds the setting's name and source.
struct SettingProblem: Error {
    let allowed: String
}

/// Conversions shared by the settings table.
enum SettingParse {
    static func string(_ value: SettingValue, allowed: String) throws(SettingProblem) -> String {
        guard case .text(let text) = value else { throw SettingProblem(allowed: allowed) }
        return text
    }

    static func nonEmptyString(_ value: SettingValue, allowed: String) throws(SettingProblem) -> String {
        let text = try string(value, allowed: allowed)
        guard !text.isEmpty, !text.utf8.contains(0) else { throw SettingProblem(allowed: allowed) }
        return text
    }

    /// A path, or nil for JSON null or an empty string.
    static func optionalPath(_ value: SettingValue, allowed: String) throws(SettingProblem) -> String? {
        switch value {
        case .null: return nil
        case .text(let text) where text.isEmpty: return nil
        case .text(let text) where !text.utf8.contains(0): return text
        default: throw SettingProblem(allowed: allowed)
        }
    }

    static func integer(_ value: SettingValue, in range: ClosedRange<Int>) throws(SettingProblem) -> Int {
        let allowed = "an integer from \(range.lowerBound) to \(range.upperBound)"
        let parsed: Int?
        switch value {
        case .number(let number):
            parsed = number == number.rounded() && abs(number) <= 1e15 ? Int(number) : nil
        case .text(let text):
            parsed = Int(text.trimmingASCIIWhitespace())
        default:
            parsed = nil
        }
        guard let parsed, range.contains(parsed) else { throw SettingProblem(allowed: allowed) }
        return parsed
    }

    /// Seconds, fractions allowed, as a duration.
    static func seconds(_ value: SettingValue, in range: ClosedRange<Double>) throws(SettingProblem) -> Duration {
        let allowed = "a number of seconds from \(format(range.lowerBound)) to \(format(range.upperBound))"
        let parsed: Double?
        switch value {
        case .number(let number): parsed = number
        case .text(let text): parsed = Double(text.trimmingASCIIWhitespace())
        default: parsed = nil
        }
        guard let parsed, parsed.isFinite, range.contains(parsed) else { throw SettingProblem(allowed: allowed) }
        return .milliseconds(Int64((parsed * 1000).rounded()))
    }

    /// `on`/`off` (also `true`/`false`, and JSON booleans).
    static func onOff(_ value: SettingValue) throws(SettingProblem) -> Bool {
        let allowed = "on or off"
        switch value {
        case .bool(let flag): return flag
        case .text(let text):
            switch text.trimmingASCIIWhitespace().lowercased() {
            case "on", "true": return true
            case "off", "false": return false
            default: throw SettingProblem(allowed: allowed)
            }
        default: throw SettingProblem(allowed: allowed)
        }
    }

    /// One of a fixed set of lowercase words.
    static func choice<T>(_ value: SettingValue, _ choices: [(String, T)]) throws(SettingProblem) -> T {
        let allowed = "one of " + choices.map(\.0).joined(separator: ", ")
        guard case .text(let text) = value else { throw SettingProblem(allowed: allowed) }
        let word = text.trimmingASCIIWhitespace().lowercased()
        guard let match = choices.first(where: { $0.0 == word }) else { throw SettingProblem(allowed: allowed) }
        return match.1
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
