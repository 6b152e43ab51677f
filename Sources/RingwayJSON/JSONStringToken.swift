/// A string that a scan found and validated in a document, not yet copied out of it.
///
/// Offsets are relative to the start of the document that was scanned; use the token only with
/// that document's bytes.
public struct JSONStringToken: Sendable, Hashable {
    /// Byte offsets of the raw string content, between (and excluding) the quotes.
    public var contentRange: Range<Int>
    /// True when the content contains backslash escapes, so raw bytes differ from the decoded text.
    public var hasEscapes: Bool
    /// Length of the decoded text in UTF-8 bytes.
    public var decodedByteCount: Int

    /// Creates a token; the scanners produce these.
    public init(contentRange: Range<Int>, hasEscapes: Bool, decodedByteCount: Int) {
        self.contentRange = contentRange
        self.hasEscapes = hasEscapes
        self.decodedByteCount = decodedByteCount
    }

    /// The decoded text. `document` must be the bytes the token was scanned from.
    public func decode(in document: UnsafeRawBufferPointer) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: document[contentRange])
        if !hasEscapes {
            return String(unsafeUninitializedCapacity: raw.count) { out in
                _ = out.initialize(from: raw)
                return raw.count
            }
        }
        return String(unsafeUninitializedCapacity: decodedByteCount) { out in
            var iterator = JSONUnescapedBytes(raw)
            var written = 0
            while let byte = iterator.next() {
                out[written] = byte
                written += 1
            }
            return written
        }
    }

    /// The raw content between the quotes: the decoded text itself when ``hasEscapes`` is false.
    public func rawContent(in document: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: document[contentRange])
    }

    /// Calls `body` with the decoded UTF-8 bytes, copying only when the content has escapes.
    public func withDecodedBytes<R>(
        in document: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let raw = UnsafeRawBufferPointer(rebasing: document[contentRange])
        if !hasEscapes { return try body(raw) }
        return try withUnsafeTemporaryAllocation(byteCount: decodedByteCount, alignment: 1) { out in
            var iterator = JSONUnescapedBytes(raw)
            var written = 0
            while let byte = iterator.next() {
                out[written] = byte
                written += 1
            }
            return try body(UnsafeRawBufferPointer(rebasing: out[0..<written]))
        }
    }

    /// True when the decoded text is exactly `text`, compared byte for byte.
    public func decodedEquals(_ text: StaticString, in document: UnsafeRawBufferPointer) -> Bool {
        guard decodedByteCount == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        if !hasEscapes {
            return UnsafeRawBufferPointer(rebasing: document[contentRange]).sameBytes(as: expected)
        }
        var iterator = JSONUnescapedBytes(UnsafeRawBufferPointer(rebasing: document[contentRange]))
        for byte in expected {
            guard iterator.next() == byte else { return false }
        }
        return iterator.next() == nil
    }

    /// True when both tokens decode to the same text. Each token is read from its own document.
    func decodedEquals(
        _ other: JSONStringToken,
        in document: UnsafeRawBufferPointer,
        otherDocument: UnsafeRawBufferPointer
    ) -> Bool {
        guard decodedByteCount == other.decodedByteCount else { return false }
        let lhs = UnsafeRawBufferPointer(rebasing: document[contentRange])
        let rhs = UnsafeRawBufferPointer(rebasing: otherDocument[other.contentRange])
        if !hasEscapes && !other.hasEscapes { return lhs.sameBytes(as: rhs) }
        var left = JSONUnescapedBytes(lhs)
        var right = JSONUnescapedBytes(rhs)
        while true {
            let a = left.next()
            let b = right.next()
            if a != b { return false }
            if a == nil { return true }
        }
    }

    /// FNV-1a hash of the decoded bytes, used to make duplicate-name checks cheap.
    func decodedHash(in document: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let raw = UnsafeRawBufferPointer(rebasing: document[contentRange])
        if !hasEscapes {
            for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        } else {
            var iterator = JSONUnescapedBytes(raw)
            while let byte = iterator.next() { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}

/// Yields the UTF-8 bytes of already-validated string content with its escapes resolved.
struct JSONUnescapedBytes: IteratorProtocol {
    private let raw: UnsafeRawBufferPointer
    private var index: Int
    private var pending: (UInt8, UInt8, UInt8) = (0, 0, 0)
    private var pendingCount = 0
    private var pendingIndex = 0

    init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
        self.index = 0
    }

    mutating func next() -> UInt8? {
        if pendingIndex < pendingCount {
            defer { pendingIndex += 1 }
            switch pendingIndex {
            case 0: return pending.0
            case 1: return pending.1
            default: return pending.2
            }
        }
        guard index < raw.count else { return nil }
        let byte = raw[index]
        guard byte == UInt8(ascii: "\\") else {
            index += 1
            return byte
        }
        let escape = raw[index + 1]
        index += 2
        switch escape {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "u"): break
        default: return escape
        }
        var scalar = readHex4()
        if scalar >= 0xD800 && scalar <= 0xDBFF {
            index += 2
            let low = readHex4()
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        return emit(scalar)
    }

    private mutating func readHex4() -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | UInt32(JSONCursor.hexValue(raw[index + offset]))
        }
        index += 4
        return value
    }

    private mutating func emit(_ scalar: UInt32) -> UInt8 {
        pendingIndex = 0
        switch scalar {
        case 0..<0x80:
            pendingCount = 0
            return UInt8(scalar)
        case 0x80..<0x800:
            pending.0 = UInt8(0x80 | (scalar & 0x3F))
            pendingCount = 1
            return UInt8(0xC0 | (scalar >> 6))
        case 0x800..<0x10000:
            pending.0 = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            pending.1 = UInt8(0x80 | (scalar & 0x3F))
            pendingCount = 2
            return UInt8(0xE0 | (scalar >> 12))
        default:
            pending.0 = UInt8(0x80 | ((scalar >> 12) & 0x3F))
            pending.1 = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            pending.2 = UInt8(0x80 | (scalar & 0x3F))
            pendingCount = 3
            return UInt8(0xF0 | (scalar >> 18))
        }
    }
}
