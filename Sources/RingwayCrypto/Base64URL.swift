/// Base64url (RFC 4648 section 5) as the contract uses it: written without padding; read with or
/// without padding and in either the URL-safe or the standard alphabet.
///
/// Readers refuse non-canonical text (RFC 4648 section 3.5): unused trailing bits must be zero, so
/// every byte string has exactly one accepted unpadded spelling per alphabet.
public enum Base64URL {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// Appends the unpadded base64url text of `bytes` to `output`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + encodedLength(bytes.count))
        encode(bytes) { output.append($0) }
    }

    /// The unpadded base64url text of `bytes`.
    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        withContiguousBytes(bytes) { encode($0) }
    }

    /// The unpadded base64url text of `bytes`, written straight into the string's storage.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: encodedLength(bytes.count)) { out in
            var written = 0
            encode(bytes) { byte in
                out[written] = byte
                written += 1
            }
            return written
        }
    }

    /// Length of the unpadded text for `count` bytes.
    public static func encodedLength(_ count: Int) -> Int {
        count / 3 * 4 + (count % 3 == 0 ? 0 : count % 3 + 1)
    }

    @inline(__always)
    private static func encode(_ bytes: UnsafeRawBufferPointer, emit: (UInt8) -> Void) {
        let table = alphabet.utf8Start
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            emit(table[Int(chunk >> 18)])
            emit(table[Int(chunk >> 12 & 0x3F)])
            emit(table[Int(chunk >> 6 & 0x3F)])
            emit(table[Int(chunk & 0x3F)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let chunk = UInt32(bytes[index]) << 16
            emit(table[Int(chunk >> 18)])
            emit(table[Int(chunk >> 12 & 0x3F)])
        case 2:
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            emit(table[Int(chunk >> 18)])
            emit(table[Int(chunk >> 12 & 0x3F)])
            emit(table[Int(chunk >> 6 & 0x3F)])
        default:
            break
        }
    }

    /// Decodes base64url or base64 text, padded or not.
    public static func decode(_ text: String) throws(CryptoError) -> [UInt8] {
        try decode(utf8: text.utf8, strict: false)
    }

    /// Decodes base64url or base64 text, padded or not.
    public static func decode(_ text: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        try decode(utf8: text, strict: false)
    }

    /// Decodes unpadded base64url only (the JWS compact serialization, RFC 7515 section 2).
    public static func decodeStrict(_ text: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        try decode(utf8: text, strict: true)
    }

    /// Decodes unpadded base64url only (the JWS compact serialization, RFC 7515 section 2).
    public static func decodeStrict(_ text: String) throws(CryptoError) -> [UInt8] {
        try decode(utf8: text.utf8, strict: true)
    }

    private static func decode<Text: Collection<UInt8>>(utf8 text: Text, strict: Bool) throws(CryptoError) -> [UInt8] {
        var length = text.count
        var padding = 0
        // Padding, if present, must complete the last quantum exactly.
        var position = text.endIndex
        while position != text.startIndex {
            let previous = text.index(position, offsetBy: -1)
            guard text[previous] == UInt8(ascii: "=") else { break }
            padding += 1
            position = previous
        }
        if padding > 0 {
            guard !strict, padding <= 2, length % 4 == 0 else { throw .invalidBase64 }
            length -= padding
        }
        let remainder = length % 4
        guard remainder != 1 else { throw .invalidBase64 }
        if padding > 0 && (4 - remainder) % 4 != padding { throw .invalidBase64 }

        var output = [UInt8]()
        output.reserveCapacity(length / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        var consumed = 0
        for byte in text {
            if consumed == length { break }
            let value = sextet(byte, strict: strict)
            guard value < 64 else { throw .invalidBase64 }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
            consumed += 1
        }
        // Non-canonical encodings leave set bits in the unused tail.
        guard accumulator == 0 else { throw .invalidBase64 }
        return output
    }

    @inline(__always)
    private static func sextet(_ byte: UInt8, strict: Bool) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        case UInt8(ascii: "+"): return strict ? 0xFF : 62
        case UInt8(ascii: "/"): return strict ? 0xFF : 63
        default: return 0xFF
        }
    }
}
