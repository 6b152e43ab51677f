/// Formats doubles the way ECMAScript's `Number.prototype.toString` does (ECMA-262 section
/// 6.1.6.1.20), as RFC 8785 section 3.2.2.3 requires: the shortest digits that round-trip, in plain
/// notation for decimal exponents from -6 to 21 and in `1.5e+300` notation otherwise.
public enum ES6NumberFormatter {
    /// Appends the text of `value` to `output`. `value` must be finite.
    public static func write(_ value: Double, into output: inout [UInt8]) {
        precondition(value.isFinite, "JSON cannot represent \(value)")
        if value == 0 {
            output.append(UInt8(ascii: "0"))  // -0 too, as in ECMAScript
            return
        }
        if value == value.rounded(.towardZero) && value.magnitude < 9_007_199_254_740_992 {
            // Below 2^53 every integer is exact and its digits are already the shortest form.
            writeInteger(Int64(value), into: &output)
            return
        }
        // Swift's description yields the shortest round-trip digits closest to the value; only
        // the layout differs from ECMAScript, so re-layout those digits.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 ASCII digits, no heap
        withUnsafeMutableBytes(of: &digits) { digitBuffer in
            var digitCount = 0
            var exponent = 0  // decimal exponent n: value = 0.d1d2...dk × 10^n
            var negative = false
            var text = value.description
            text.withUTF8 { utf8 in
                var index = 0
                if utf8[index] == UInt8(ascii: "-") {
                    negative = true
                    index += 1
                }
                var integerDigits = 0
                var leadingZeros = 0
                var seenPoint = false
                while index < utf8.count {
                    let byte = utf8[index]
                    if byte == UInt8(ascii: ".") {
                        seenPoint = true
                    } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                        break
                    } else {
                        if !seenPoint { integerDigits += 1 }
                        if digitCount == 0 && byte == UInt8(ascii: "0") {
                            leadingZeros += 1
                        } else {
                            digitBuffer[digitCount] = byte
                            digitCount += 1
                        }
                    }
                    index += 1
                }
                var explicitExponent = 0
                if index < utf8.count {
                    index += 1
                    var exponentNegative = false
                    if utf8[index] == UInt8(ascii: "-") {
                        exponentNegative = true
                        index += 1
                    } else if utf8[index] == UInt8(ascii: "+") {
                        index += 1
                    }
                    while index < utf8.count {
                        explicitExponent = explicitExponent * 10 + Int(utf8[index] - UInt8(ascii: "0"))
                        index += 1
                    }
                    if exponentNegative { explicitExponent = -explicitExponent }
                }
                exponent = integerDigits + explicitExponent - leadingZeros
            }
            while digitCount > 1 && digitBuffer[digitCount - 1] == UInt8(ascii: "0") { digitCount -= 1 }
            if negative { output.append(UInt8(ascii: "-")) }
            layout(UnsafeRawBufferPointer(rebasing: digitBuffer[0..<digitCount]), exponent: exponent, into: &output)
        }
    }

    /// The text of `value`. `value` must be finite.
    public static func string(_ value: Double) -> String {
        var output: [UInt8] = []
        write(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// ECMA-262 Number::toString steps 6–10 for digits `s` (k of them) and exponent `n`.
    private static func layout(_ digits: UnsafeRawBufferPointer, exponent n: Int, into output: inout [UInt8]) {
        let k = digits.count
        if k <= n && n <= 21 {
            output.append(contentsOf: digits)
            for _ in 0..<(n - k) { output.append(UInt8(ascii: "0")) }
        } else if 0 < n && n <= 21 {
            output.append(contentsOf: digits[0..<n])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "."))
            for _ in 0..<(-n) { output.append(UInt8(ascii: "0")) }
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if k > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            output.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            writeInteger(Int64((n - 1).magnitude), into: &output)
        }
    }

    /// Appends the decimal digits of `value`.
    static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: buffer[position...])
        }
    }
}
