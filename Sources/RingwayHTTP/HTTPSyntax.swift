/// Byte classes of the HTTP grammar (RFC 9110 §5.6, RFC 9112 §2-§5).
package enum HTTPSyntax {
    package static let cr: UInt8 = 0x0D
    package static let lf: UInt8 = 0x0A
    package static let sp: UInt8 = 0x20
    package static let htab: UInt8 = 0x09
    package static let colon: UInt8 = 0x3A

    /// `tchar` of RFC 9110 §5.6.2 as a 128-bit set: bytes 0-63 and 64-127
    /// (`!#$%&'*+-.` and digits; letters and `^_`|~`).
    private static let tcharLow: UInt64 = 0x03ff_6cfa_0000_0000
    private static let tcharHigh: UInt64 = 0x57ff_ffff_c7ff_fffe

    @inline(__always)
    package static func isTokenChar(_ byte: UInt8) -> Bool {
        if byte < 64 { return tcharLow & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return tcharHigh & (1 << UInt64(byte - 64)) != 0 }
        return false
    }

    /// `field-vchar` plus the SP / HTAB allowed inside a field value.
    @inline(__always)
    package static func isFieldValueChar(_ byte: UInt8) -> Bool {
        byte == htab || (byte >= 0x20 && byte != 0x7F)
    }

    /// Visible ASCII, the only bytes allowed in a request-target.
    @inline(__always)
    package static func isVisibleASCII(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E
    }

    @inline(__always)
    package static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    @inline(__always)
    package static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether `name` is a non-empty token.
    package static func isToken(_ name: some StringProtocol) -> Bool {
        var count = 0
        for byte in name.utf8 {
            guard isTokenChar(byte) else { return false }
            count += 1
        }
        return count > 0
    }

    /// ASCII case-insensitive comparison without allocating.
    package static func equalsIgnoringCase(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case let (l?, r?) where lowercased(l) == lowercased(r): continue
            default: return false
            }
        }
    }
}
