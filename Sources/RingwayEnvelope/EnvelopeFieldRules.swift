#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import RingwayCrypto
import RingwayJSON

/// Field rules shared by ``EnvelopeDecoder`` and ``EnvelopeScanner`` so both judge alike.
enum EnvelopeFieldRules {
    /// The field whose name is `bytes`, compared byte for byte (no allocation: this runs for
    /// every top-level member on the routing fast path).
    static func field(named bytes: UnsafeRawBufferPointer) -> EnvelopeField? {
        switch bytes.count {
        case 4: return matches(bytes, "type") ? .type : nil
        case 7: return matches(bytes, "payload") ? .payload : nil
        case 9:
            if matches(bytes, "to_entity") { return .toEntity }
            if matches(bytes, "timestamp") { return .timestamp }
            if matches(bytes, "signature") { return .signature }
            return nil
        case 10: return matches(bytes, "message_id") ? .messageID : nil
        case 11: return matches(bytes, "from_entity") ? .fromEntity : nil
        default: return nil
        }
    }

    /// True when `bytes` are exactly the UTF-8 of `text`.
    @inline(__always)
    static func matches(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount
            && memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0
    }

    /// Calls `body` with the decoded text of `token`, without copying when it has no escapes.
    /// Kept in this module so that it is specialized here rather than called generically.
    @inline(__always)
    static func withText<R>(
        _ token: JSONStringToken,
        in document: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        if !token.hasEscapes { return body(token.rawContent(in: document)) }
        return token.withDecodedBytes(in: document, body)
    }

    /// The timestamp for a JSON number, or an error when it is not a safe integer.
    static func timestamp(_ value: Double) throws(EnvelopeError) -> Int64 {
        guard let seconds = JSONValue.safeInteger(value) else { throw EnvelopeError(.invalidTimestamp) }
        return seconds
    }

    /// Runs `body` with the UTF-8 bytes of `text`.
    static func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = text
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
