/// What a scan learned about one value, without copying it out of the document.
public enum JSONValueToken: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number and its value.
    case number(Double)
    /// A string, still in the document.
    case string(JSONStringToken)
    /// An array spanning these byte offsets, brackets included.
    case array(Range<Int>)
    /// An object spanning these byte offsets, braces included.
    case object(Range<Int>)
}

/// A top-level member found by ``JSONScanner/scan(_:limits:topLevelMember:)``.
public struct JSONMemberToken: Sendable, Hashable {
    /// The member name.
    public var name: JSONStringToken
    /// The member value.
    public var value: JSONValueToken
    /// Byte offsets of the value's text (quotes, brackets or braces included).
    public var valueRange: Range<Int>
}

/// Validates a document with exactly the rules of ``JSONReader`` but builds nothing: one pass,
/// no allocation for typical documents. It is the gate for code that needs only a few fields.
public enum JSONScanner {
    /// Validates `document` and describes its top-level value.
    @discardableResult
    public static func validate(
        _ document: UnsafeRawBufferPointer,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValueToken {
        try scan(document, limits: limits) { _ in }
    }

    /// Validates `document` and, when its top-level value is an object, reports each member of that
    /// object in document order. Members are reported while scanning, so a document that turns
    /// out invalid may have reported some members before the error is thrown.
    @discardableResult
    public static func scan(
        _ document: UnsafeRawBufferPointer,
        limits: JSONLimits = .default,
        topLevelMember: (JSONMemberToken) -> Void
    ) throws(JSONError) -> JSONValueToken {
        var cursor = JSONCursor(bytes: document, limits: limits)
        try cursor.checkDocumentSize()
        let result: Result<JSONValueToken, JSONError> = JSONKeyLedger.withLedger { ledger in
            do throws(JSONError) {
                let value: JSONValueToken
                if try cursor.peekSignificant() == UInt8(ascii: "{") {
                    value = try scanTopLevelObject(&cursor, &ledger, topLevelMember)
                } else {
                    value = try skipValue(&cursor, &ledger, depth: 0)
                }
                cursor.skipWhitespace()
                guard cursor.isAtEnd else { throw JSONError(.trailingContent, at: cursor.index) }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func scanTopLevelObject(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        _ report: (JSONMemberToken) -> Void
    ) throws(JSONError) -> JSONValueToken {
        let start = cursor.index
        if 1 > cursor.limits.maxNestingDepth {
            throw JSONError(.limitExceeded(.nestingDepth), at: cursor.index)
        }
        cursor.index += 1
        if try cursor.peekSignificant() == UInt8(ascii: "}") {
            cursor.index += 1
            return .object(start..<cursor.index)
        }
        var memberCount = 0
        while true {
            guard try cursor.peekSignificant() == UInt8(ascii: "\"") else { throw cursor.unexpected() }
            if memberCount == cursor.limits.maxObjectMembers {
                throw JSONError(.limitExceeded(.objectMembers), at: cursor.index)
            }
            let name = try cursor.scanString()
            try ledger.insert(name, objectBase: 0, document: cursor.bytes)
            guard try cursor.peekSignificant() == UInt8(ascii: ":") else { throw cursor.unexpected() }
            cursor.index += 1
            let valueStart = cursor.index
            let value = try skipValue(&cursor, &ledger, depth: 1)
            memberCount += 1
            report(JSONMemberToken(name: name, value: value, valueRange: trimmedStart(cursor, valueStart)..<cursor.index))
            switch try cursor.peekSignificant() {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "}"):
                cursor.index += 1
                return .object(start..<cursor.index)
            default:
                throw cursor.unexpected()
            }
        }
    }

    /// The first non-whitespace offset at or after `start`.
    private static func trimmedStart(_ cursor: JSONCursor, _ start: Int) -> Int {
        var position = start
        while position < cursor.index {
            switch cursor.bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return position
            }
        }
        return position
    }

    private static func skipValue(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValueToken {
        switch try cursor.peekSignificant() {
        case UInt8(ascii: "{"):
            return try skipObject(&cursor, &ledger, depth: depth + 1)
        case UInt8(ascii: "["):
            return try skipArray(&cursor, &ledger, depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try cursor.scanString())
        case UInt8(ascii: "t"):
            try cursor.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try cursor.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try cursor.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try cursor.scanNumber())
        default:
            throw cursor.unexpected()
        }
    }

    private static func skipArray(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValueToken {
        if depth > cursor.limits.maxNestingDepth {
            throw JSONError(.limitExceeded(.nestingDepth), at: cursor.index)
        }
        let start = cursor.index
        cursor.index += 1
        if try cursor.peekSignificant() == UInt8(ascii: "]") {
            cursor.index += 1
            return .array(start..<cursor.index)
        }
        var count = 0
        while true {
            if count == cursor.limits.maxArrayElements {
                throw JSONError(.limitExceeded(.arrayElements), at: cursor.index)
            }
            _ = try skipValue(&cursor, &ledger, depth: depth)
            count += 1
            switch try cursor.peekSignificant() {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "]"):
                cursor.index += 1
                return .array(start..<cursor.index)
            default:
                throw cursor.unexpected()
            }
        }
    }

    private static func skipObject(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValueToken {
        if depth > cursor.limits.maxNestingDepth {
            throw JSONError(.limitExceeded(.nestingDepth), at: cursor.index)
        }
        let start = cursor.index
        cursor.index += 1
        let base = ledger.count
        if try cursor.peekSignificant() == UInt8(ascii: "}") {
            cursor.index += 1
            return .object(start..<cursor.index)
        }
        var count = 0
        while true {
            guard try cursor.peekSignificant() == UInt8(ascii: "\"") else { throw cursor.unexpected() }
            if count == cursor.limits.maxObjectMembers {
                throw JSONError(.limitExceeded(.objectMembers), at: cursor.index)
            }
            let name = try cursor.scanString()
            try ledger.insert(name, objectBase: base, document: cursor.bytes)
            guard try cursor.peekSignificant() == UInt8(ascii: ":") else { throw cursor.unexpected() }
            cursor.index += 1
            _ = try skipValue(&cursor, &ledger, depth: depth)
            count += 1
            switch try cursor.peekSignificant() {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "}"):
                cursor.index += 1
                ledger.truncate(to: base)
                return .object(start..<cursor.index)
            default:
                throw cursor.unexpected()
            }
        }
    }
}
