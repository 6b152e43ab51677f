/// Parses a complete I-JSON document (RFC 7493 / RFC 8259) into a ``JSONValue``.
///
/// Stricter than Foundation: duplicate member names (compared after unescaping), lone surrogate
/// escapes, Unicode noncharacters, invalid UTF-8, a byte-order mark and anything after the value
/// are refused, and every size a peer controls is bounded by ``JSONLimits``. The document must be
/// complete: envelopes arrive framed (a WebSocket message or an HTTP body), so there is no partial
/// input to resume.
public enum JSONReader {
    /// Parses `document`.
    public static func parse(
        _ document: UnsafeRawBufferPointer,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValue {
        var cursor = JSONCursor(bytes: document, limits: limits)
        try cursor.checkDocumentSize()
        let result: Result<JSONValue, JSONError> = JSONKeyLedger.withLedger { ledger in
            do throws(JSONError) {
                let value = try parseValue(&cursor, &ledger, depth: 0)
                cursor.skipWhitespace()
                guard cursor.isAtEnd else { throw JSONError(.trailingContent, at: cursor.index) }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses the bytes of `document` (an array, a slice, `Data`, a string's UTF-8 view...).
    public static func parse<Bytes: Collection<UInt8>>(
        _ document: Bytes,
        limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValue {
        let result = document.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        } ?? Array(document).withUnsafeBytes { buffer in
            Result { () throws(JSONError) in try parse(buffer, limits: limits) }
        }
        return try result.get()
    }

    /// Parses the UTF-8 text `document`.
    public static func parse(_ document: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var text = document
        return try text.withUTF8 { buffer in
            Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        }.get()
    }

    private static func parseValue(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValue {
        switch try cursor.peekSignificant() {
        case UInt8(ascii: "{"):
            return try parseObject(&cursor, &ledger, depth: depth + 1)
        case UInt8(ascii: "["):
            return try parseArray(&cursor, &ledger, depth: depth + 1)
        case UInt8(ascii: "\""):
            let token = try cursor.scanString()
            return .string(token.decode(in: cursor.bytes))
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

    private static func parseArray(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValue {
        if depth > cursor.limits.maxNestingDepth {
            throw JSONError(.limitExceeded(.nestingDepth), at: cursor.index)
        }
        cursor.index += 1
        var elements: [JSONValue] = []
        if try cursor.peekSignificant() == UInt8(ascii: "]") {
            cursor.index += 1
            return .array(elements)
        }
        elements.reserveCapacity(4)
        while true {
            if elements.count == cursor.limits.maxArrayElements {
                throw JSONError(.limitExceeded(.arrayElements), at: cursor.index)
            }
            elements.append(try parseValue(&cursor, &ledger, depth: depth))
            switch try cursor.peekSignificant() {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "]"):
                cursor.index += 1
                return .array(elements)
            default:
                throw cursor.unexpected()
            }
        }
    }

    private static func parseObject(
        _ cursor: inout JSONCursor,
        _ ledger: inout JSONKeyLedger,
        depth: Int
    ) throws(JSONError) -> JSONValue {
        if depth > cursor.limits.maxNestingDepth {
            throw JSONError(.limitExceeded(.nestingDepth), at: cursor.index)
        }
        cursor.index += 1
        var members: [JSONObject.Member] = []
        let base = ledger.count
        if try cursor.peekSignificant() == UInt8(ascii: "}") {
            cursor.index += 1
            return .object(JSONObject(uniqueMembers: members))
        }
        // One allocation covers typical objects instead of growing 1, 2, 4, 8.
        members.reserveCapacity(8)
        while true {
            guard try cursor.peekSignificant() == UInt8(ascii: "\"") else { throw cursor.unexpected() }
            if members.count == cursor.limits.maxObjectMembers {
                throw JSONError(.limitExceeded(.objectMembers), at: cursor.index)
            }
            let name = try cursor.scanString()
            try ledger.insert(name, objectBase: base, document: cursor.bytes)
            guard try cursor.peekSignificant() == UInt8(ascii: ":") else { throw cursor.unexpected() }
            cursor.index += 1
            let value = try parseValue(&cursor, &ledger, depth: depth)
            members.append(JSONObject.Member(name: name.decode(in: cursor.bytes), value: value))
            switch try cursor.peekSignificant() {
            case UInt8(ascii: ","):
                cursor.index += 1
            case UInt8(ascii: "}"):
                cursor.index += 1
                ledger.truncate(to: base)
                return .object(JSONObject(uniqueMembers: members))
            default:
                throw cursor.unexpected()
            }
        }
    }
}
