/// Why a document was refused by ``JSONReader`` or ``JSONScanner``.
///
/// Every case describes remote input (the document), never local misuse.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule the document broke.
    public enum Kind: Sendable, Hashable {
        /// The document ended inside a value.
        case unexpectedEnd
        /// A byte that no JSON rule allows at this position (this includes `NaN`, `Infinity`, a BOM).
        case unexpectedByte(UInt8)
        /// A number that does not follow the RFC 8259 grammar.
        case invalidNumber
        /// A number whose magnitude does not fit an IEEE 754 double.
        case numberOutOfRange
        /// A backslash escape that RFC 8259 does not define.
        case invalidEscape
        /// A control character (U+0000–U+001F) written unescaped inside a string.
        case unescapedControlCharacter
        /// Bytes in a string that are not well-formed UTF-8.
        case invalidUTF8
        /// A `\u` escape naming a surrogate without its partner (refused by RFC 7493).
        case loneSurrogate
        /// A Unicode noncharacter such as U+FFFF (refused by RFC 7493 section 2.1).
        case noncharacter
        /// An object names the same member twice (compared after unescaping; RFC 7493 section 2.3).
        case duplicateMember
        /// Something other than whitespace follows the top-level value.
        case trailingContent
        /// One of the configured ``JSONLimits`` was exceeded.
        case limitExceeded(JSONLimit)
    }

    /// The rule the document broke.
    public var kind: Kind
    /// Byte offset in the document where the problem was detected.
    public var offset: Int

    /// Creates an error.
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// True when the document was refused for its size rather than its content.
    public var isLimitExceeded: Bool {
        if case .limitExceeded = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .unexpectedEnd: return "JSON ends unexpectedly at byte \(offset)"
        case .unexpectedByte(let byte): return "unexpected byte 0x\(String(byte, radix: 16)) at \(offset)"
        case .invalidNumber: return "invalid number at byte \(offset)"
        case .numberOutOfRange: return "number out of range at byte \(offset)"
        case .invalidEscape: return "invalid escape at byte \(offset)"
        case .unescapedControlCharacter: return "unescaped control character at byte \(offset)"
        case .invalidUTF8: return "invalid UTF-8 at byte \(offset)"
        case .loneSurrogate: return "lone surrogate escape at byte \(offset)"
        case .noncharacter: return "Unicode noncharacter at byte \(offset)"
        case .duplicateMember: return "duplicate member name at byte \(offset)"
        case .trailingContent: return "content after the JSON value at byte \(offset)"
        case .limitExceeded(let limit): return "JSON limit \(limit.rawValue) exceeded at byte \(offset)"
        }
    }
}
