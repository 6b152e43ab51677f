/// Writes ``JSONValue``s as compact JSON text: no whitespace, members in their stored order,
/// strings and numbers formatted exactly as RFC 8785 prescribes (so the output differs from the
/// canonical form only in member order).
public enum JSONWriter {
    /// Appends the text of `value` to `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .number(let number):
            ES6NumberFormatter.write(number, into: &output)
        case .string(let string):
            writeString(string, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.name, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The compact text of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, into: &output)
        return output
    }

    /// Appends `string` as a JSON string: `"` and `\` escaped, U+0000–U+001F as `\b \t \n \f \r`
    /// or `\u00xx` (lowercase hex), everything else as its UTF-8 bytes (RFC 8785 section 3.2.2.2).
    public static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        let handled: Void? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            writeEscaped(UnsafeRawBufferPointer(utf8), into: &output)
        }
        if handled == nil {
            var copy = string
            copy.withUTF8 { writeEscaped(UnsafeRawBufferPointer($0), into: &output) }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends already-valid UTF-8 text with JSON escaping, without quotes.
    public static func writeEscaped(_ utf8: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        var runStart = 0
        for (position, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            output.append(contentsOf: utf8[runStart..<position])
            runStart = position + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: output.append(0x22)
            case 0x5C: output.append(0x5C)
            case 0x08: output.append(UInt8(ascii: "b"))
            case 0x09: output.append(UInt8(ascii: "t"))
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0C: output.append(UInt8(ascii: "f"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            default:
                let hex: StaticString = "0123456789abcdef"
                output.append(contentsOf: "u00".utf8)
                output.append(hex.utf8Start[Int(byte >> 4)])
                output.append(hex.utf8Start[Int(byte & 0x0F)])
            }
        }
        output.append(contentsOf: utf8[runStart...])
    }
}
