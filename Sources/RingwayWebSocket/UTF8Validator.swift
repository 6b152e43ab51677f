/// Incremental UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF) that can stop anywhere, even inside a code point, and resume with the next
/// fragment. Invalid input is detected at the first byte that cannot continue a valid sequence.
public struct UTF8Validator: Sendable, Hashable {
    /// Continuation bytes still expected for the current code point.
    private var remaining: UInt8 = 0
    /// Allowed range of the next continuation byte (narrower than 0x80...0xBF right after
    /// E0, ED, F0 and F4, which is how overlongs, surrogates and > U+10FFFF are refused).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// Whether the input so far ends on a code point boundary.
    public var isAtBoundary: Bool { remaining == 0 }

    /// Validates the next bytes; `false` as soon as they cannot be UTF-8. After `false` the
    /// validator's state is meaningless.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if remaining == 0 {
                // ASCII fast path: 32 then 8 bytes at a time while no high bit is set.
                while count - index >= 32 {
                    let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                    let c = base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                    let d = base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                    if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 32
                }
                while count - index >= 8 {
                    let high = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080
                    if high != 0 {
                        // Skip the ASCII bytes before the first high bit in one step.
                        #if _endian(little)
                        index += high.trailingZeroBitCount >> 3
                        #else
                        index += high.leadingZeroBitCount >> 3
                        #endif
                        break
                    }
                    index += 8
                }
                guard index < count else { return true }
                let lead = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                switch lead {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: (remaining, lower, upper) = (1, 0x80, 0xBF)
                case 0xE0: (remaining, lower, upper) = (2, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (remaining, lower, upper) = (2, 0x80, 0xBF)
                case 0xED: (remaining, lower, upper) = (2, 0x80, 0x9F)
                case 0xF0: (remaining, lower, upper) = (3, 0x90, 0xBF)
                case 0xF1...0xF3: (remaining, lower, upper) = (3, 0x80, 0xBF)
                case 0xF4: (remaining, lower, upper) = (3, 0x80, 0x8F)
                default: return false
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= lower, byte <= upper else { return false }
                index += 1
                remaining -= 1
                (lower, upper) = (0x80, 0xBF)
            }
        }
        return true
    }

    /// Validates a complete byte sequence in one go.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isAtBoundary
    }
}
