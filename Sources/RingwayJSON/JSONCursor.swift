/// The lexical layer shared by ``JSONReader`` and ``JSONScanner``: whitespace, literals, strings
/// (with UTF-8, escape, surrogate and noncharacter checks) and numbers, over borrowed bytes.
struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    let limits: JSONLimits
    var index: Int = 0

    init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    var isAtEnd: Bool { index >= bytes.count }

    /// Checks the document-size limit; the first thing every entry point does.
    func checkDocumentSize() throws(JSONError) {
        if bytes.count > limits.maxDocumentBytes {
            throw JSONError(.limitExceeded(.documentBytes), at: limits.maxDocumentBytes)
        }
        // Recursion depth is bounded by this limit; keep it small enough for small thread stacks.
        precondition(limits.maxNestingDepth <= JSONCursor.nestingDepthCeiling,
                     "maxNestingDepth above \(JSONCursor.nestingDepthCeiling) is not supported")
    }

    static let nestingDepthCeiling = 512

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next significant byte, after whitespace; throws at the end of the document.
    @inline(__always)
    mutating func peekSignificant() throws(JSONError) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw JSONError(.unexpectedEnd, at: index) }
        return bytes[index]
    }

    /// Consumes `expected` exactly (the rest of `true`, `false` or `null`).
    mutating func expectLiteral(_ expected: StaticString) throws(JSONError) {
        let count = expected.utf8CodeUnitCount
        let start = expected.utf8Start
        for offset in 0..<count {
            guard index + offset < bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
            let byte = bytes[index + offset]
            guard byte == start[offset] else { throw JSONError(.unexpectedByte(byte), at: index + offset) }
        }
        index += count
    }

    func unexpected() -> JSONError {
        index < bytes.count ? JSONError(.unexpectedByte(bytes[index]), at: index) : JSONError(.unexpectedEnd, at: index)
    }

    // MARK: Strings

    /// Scans a string whose opening quote is at `index`, validating it completely.
    mutating func scanString() throws(JSONError) -> JSONStringToken {
        index += 1
        let start = index
        let end = bytes.count
        let maxBytes = limits.maxStringBytes
        var decoded = 0
        var hasEscapes = false
        while true {
            // Eight bytes at a time up to the first quote, backslash, control or non-ASCII byte.
            while index &+ 8 <= end {
                let mask = JSONCursor.attentionMask(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if mask != 0 {
                    let skip = mask.trailingZeroBitCount &>> 3
                    index &+= skip
                    decoded &+= skip
                    break
                }
                index &+= 8
                decoded &+= 8
            }
            if index - start > maxBytes {
                throw JSONError(.limitExceeded(.stringBytes), at: start + maxBytes)
            }
            guard index < end else { throw JSONError(.unexpectedEnd, at: end) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if index - start > maxBytes {
                    throw JSONError(.limitExceeded(.stringBytes), at: start + maxBytes)
                }
                let token = JSONStringToken(contentRange: start..<index, hasEscapes: hasEscapes,
                                            decodedByteCount: decoded)
                index += 1
                return token
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                decoded &+= try scanEscape()
            } else if byte < 0x20 {
                throw JSONError(.unescapedControlCharacter, at: index)
            } else if byte < 0x80 {
                index += 1
                decoded &+= 1
            } else {
                let length = try scanUTF8Sequence(lead: byte)
                index += length
                decoded &+= length
            }
        }
    }

    /// A mask whose lowest set bit lies in the first byte of `word` (in memory order) that is `"`,
    /// `\`, below 0x20 or at least 0x80; zero when there is none. Bits above the first hit may be
    /// spurious (borrows propagate upwards), so only the lowest one is meaningful.
    @inline(__always)
    static func attentionMask(_ word: UInt64) -> UInt64 {
        let word = UInt64(littleEndian: word)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (word &- ones &* 0x20) & ~word
        return ((hasQuote | hasBackslash | hasControl) | word) & highs
    }

    /// Validates the escape at `index` and returns how many UTF-8 bytes it decodes to.
    private mutating func scanEscape() throws(JSONError) -> Int {
        let escapeStart = index
        guard index + 1 < bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
            return 1
        case UInt8(ascii: "u"):
            break
        default:
            throw JSONError(.invalidEscape, at: escapeStart)
        }
        index += 2
        var scalar = try readHex4()
        if scalar >= 0xDC00 && scalar <= 0xDFFF {
            throw JSONError(.loneSurrogate, at: escapeStart)
        }
        if scalar >= 0xD800 && scalar <= 0xDBFF {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                  bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONError(.loneSurrogate, at: escapeStart)
            }
            index += 2
            let low = try readHex4()
            guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONError(.loneSurrogate, at: escapeStart) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        if JSONCursor.isNoncharacter(scalar) { throw JSONError(.noncharacter, at: escapeStart) }
        switch scalar {
        case 0..<0x80: return 1
        case 0x80..<0x800: return 2
        case 0x800..<0x10000: return 3
        default: return 4
        }
    }

    private mutating func readHex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let digit = JSONCursor.hexValue(bytes[index + offset])
            guard digit < 16 else { throw JSONError(.invalidEscape, at: index + offset) }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// The value of an ASCII hex digit, or 0xFF.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return 0xFF
        }
    }

    /// U+FDD0–U+FDEF and the last two code points of every plane (RFC 7493 section 2.1).
    @inline(__always)
    static func isNoncharacter(_ scalar: UInt32) -> Bool {
        (scalar >= 0xFDD0 && scalar <= 0xFDEF) || (scalar & 0xFFFE) == 0xFFFE
    }

    /// Validates one multi-byte UTF-8 sequence at `index` (Unicode table 3-7) and returns its length.
    private func scanUTF8Sequence(lead: UInt8) throws(JSONError) -> Int {
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            if lead == 0xE0 { lowerBound = 0xA0 }
            if lead == 0xED { upperBound = 0x9F }
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            if lead == 0xF0 { lowerBound = 0x90 }
            if lead == 0xF4 { upperBound = 0x8F }
            scalar = UInt32(lead & 0x07)
        default:
            throw JSONError(.invalidUTF8, at: index)
        }
        guard index + length <= bytes.count else { throw JSONError(.invalidUTF8, at: index) }
        let second = bytes[index + 1]
        guard second >= lowerBound && second <= upperBound else { throw JSONError(.invalidUTF8, at: index) }
        scalar = scalar << 6 | UInt32(second & 0x3F)
        for offset in 2..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { throw JSONError(.invalidUTF8, at: index) }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        if length >= 3 && JSONCursor.isNoncharacter(scalar) { throw JSONError(.noncharacter, at: index) }
        return length
    }

    // MARK: Numbers

    /// Scans a number starting at `index` (a `-` or a digit) and returns its value.
    mutating func scanNumber() throws(JSONError) -> Double {
        let start = index
        let end = bytes.count
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end else { throw JSONError(.invalidNumber, at: start) }
        let firstDigit = bytes[index]
        if firstDigit == UInt8(ascii: "0") {
            index += 1
        } else if firstDigit >= UInt8(ascii: "1") && firstDigit <= UInt8(ascii: "9") {
            index += 1
            skipDigits()
        } else {
            throw JSONError(.invalidNumber, at: start)
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < end, JSONCursor.isDigit(bytes[index]) else { throw JSONError(.invalidNumber, at: start) }
            skipDigits()
        }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard index < end, JSONCursor.isDigit(bytes[index]) else { throw JSONError(.invalidNumber, at: start) }
            skipDigits()
        }
        let length = index - start
        if length > limits.maxNumberLength {
            throw JSONError(.limitExceeded(.numberLength), at: start)
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        let digitCount = negative ? length - 1 : length
        if isInteger && digitCount <= 15 {
            // Exact: every integer below 10^15 is representable, so no rounding question arises.
            var value: Int64 = 0
            for offset in (negative ? start + 1 : start)..<index {
                value = value &* 10 &+ Int64(bytes[offset] &- UInt8(ascii: "0"))
            }
            return negative ? -Double(value) : Double(value)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError(.numberOutOfRange, at: start)
        }
        return value
    }

    @inline(__always)
    private mutating func skipDigits() {
        while index < bytes.count && JSONCursor.isDigit(bytes[index]) { index += 1 }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
