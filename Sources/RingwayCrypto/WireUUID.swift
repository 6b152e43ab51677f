/// A UUID (RFC 9562) as the contract's `message_id`: 128 bits, written in the canonical
/// `8-4-4-4-12` hexadecimal form.
///
/// Parsing accepts the canonical form only (36 characters, hyphens at their places, hex digits
/// in either case, per RFC 9562 section 4); any version is accepted. Output is lowercase.
public struct WireUUID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 64 bits, big-endian.
    public var high: UInt64
    /// The last 64 bits, big-endian.
    public var low: UInt64

    /// Creates a UUID from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates a UUID from its 16 bytes in network order.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, byte) in bytes.enumerated() {
            if position < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.init(high: high, low: low)
    }

    /// Parses the canonical text form.
    public init?(_ text: String) {
        var copy = text
        guard let value = copy.withUTF8({ WireUUID(utf8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// Parses the canonical text form from UTF-8 bytes.
    public init?(utf8 text: UnsafeRawBufferPointer) {
        guard text.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for position in 0..<36 {
            let byte = text[position]
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if nibbles < 16 {
                high = high << 4 | UInt64(nibble)
            } else {
                low = low << 4 | UInt64(nibble)
            }
            nibbles += 1
        }
        self.init(high: high, low: low)
    }

    /// True when `text` is a UUID in canonical text form.
    public static func isCanonical(_ text: String) -> Bool {
        WireUUID(text) != nil
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        for word in [high, low] {
            for shift in stride(from: 56, through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return result
    }

    /// The version field (7 for time-ordered UUIDs).
    public var version: Int { Int(high >> 12 & 0xF) }

    /// For a version 7 UUID, the Unix time in milliseconds it carries.
    public var unixMilliseconds: UInt64? { version == 7 ? high >> 16 : nil }

    /// Appends the lowercase canonical text to `output`.
    public func write(into output: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { output.append(UInt8(ascii: "-")) }
            let word = nibble < 16 ? high : low
            let shift = UInt64(60 - 4 * (nibble % 16))
            output.append(digits.utf8Start[Int(word >> shift & 0xF)])
        }
    }

    /// The lowercase canonical text.
    public var description: String {
        var output: [UInt8] = []
        output.reserveCapacity(36)
        write(into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public static func < (lhs: WireUUID, rhs: WireUUID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension WireUUID {
    /// A version 7 UUID (RFC 9562 section 5.7) for `unixMilliseconds`, with 74 random bits from
    /// ``SecureRandom``. UUIDs made in later milliseconds sort after earlier ones.
    public static func v7(unixMilliseconds: UInt64) -> WireUUID {
        var random = (UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &random) { SecureRandom.fill($0) }
        return v7(unixMilliseconds: unixMilliseconds, randomA: random.0, randomB: random.1)
    }

    /// A version 7 UUID read from `clock`.
    public static func v7(clock: some UnixClock) -> WireUUID {
        v7(unixMilliseconds: clock.unixMilliseconds())
    }

    /// A version 7 UUID with caller-supplied random bits (only the low 12 bits of `randomA` and the
    /// low 62 bits of `randomB` are used); for deterministic tests.
    public static func v7(unixMilliseconds: UInt64, randomA: UInt64, randomB: UInt64) -> WireUUID {
        let timestamp = unixMilliseconds & 0xFFFF_FFFF_FFFF
        let high = timestamp << 16 | 0x7000 | (randomA & 0x0FFF)
        let low = 0x8000_0000_0000_0000 | (randomB & 0x3FFF_FFFF_FFFF_FFFF)
        return WireUUID(high: high, low: low)
    }
}
