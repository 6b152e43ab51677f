/// Limits on a query string a peer sends.
public struct QueryLimits: Sendable, Hashable {
    /// Most name/value pairs. Over it: 400.
    public var maxParameters: Int
    /// Longest raw query in bytes. Over it: 414 (it is part of the request-target).
    public var maxQueryLength: Int

    public init(maxParameters: Int = 100, maxQueryLength: Int = 8 * 1024) {
        self.maxParameters = maxParameters
        self.maxQueryLength = maxQueryLength
    }
}

/// A query string or path the peer sent that cannot be decoded.
public struct HTTPQueryError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `%` not followed by two hex digits.
        case invalidPercentEscape
        /// The decoded bytes are not UTF-8.
        case invalidUTF8
        /// More pairs than `QueryLimits.maxParameters`.
        case tooManyParameters
        /// Longer than `QueryLimits.maxQueryLength`.
        case tooLong
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The status a server answers with.
    public var status: HTTPStatus { kind == .tooLong ? .uriTooLong : .badRequest }
}

/// Name/value pairs of an `application/x-www-form-urlencoded` query, in order.
public struct QueryParameters: Sendable, Hashable, RandomAccessCollection {
    /// One decoded pair.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    private var parameters: [Parameter]

    /// Decodes `query` (without the leading `?`): pairs split on `&`, names from values on the
    /// first `=`, `+` is a space, `%XX` a byte. A pair without `=` has the empty value; empty
    /// pairs are skipped. An invalid escape or non-UTF-8 result is an error.
    public init(parsing query: some StringProtocol, limits: QueryLimits = QueryLimits()) throws(HTTPQueryError) {
        guard query.utf8.count <= limits.maxQueryLength else { throw HTTPQueryError(.tooLong) }
        parameters = []
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard parameters.count < limits.maxParameters else { throw HTTPQueryError(.tooManyParameters) }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = try PercentDecoding.decode(pair[..<(equals ?? pair.endIndex)], plusAsSpace: true)
            let value = try equals.map { (index) throws(HTTPQueryError) in
                try PercentDecoding.decode(pair[pair.index(after: index)...], plusAsSpace: true)
            } ?? ""
            parameters.append(Parameter(name: name, value: value))
        }
    }

    public var startIndex: Int { parameters.startIndex }
    public var endIndex: Int { parameters.endIndex }
    public subscript(position: Int) -> Parameter { parameters[position] }

    /// The value of the first parameter named `name` (case-sensitive).
    public subscript(name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// The values of every parameter named `name`, in order.
    public func values(for name: String) -> [String] {
        parameters.filter { $0.name == name }.map(\.value)
    }
}

/// Percent-decoding (RFC 3986 §2.1) with the form-encoding `+` option.
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`), requiring UTF-8 output.
    public static func decode(_ text: some StringProtocol, plusAsSpace: Bool = false) throws(HTTPQueryError) -> String {
        try decode(text.utf8, plusAsSpace: plusAsSpace)
    }

    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusAsSpace: Bool) throws(HTTPQueryError) -> String {
        let needsWork = bytes.contains { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }
        var decoded: [UInt8] = []
        if needsWork {
            decoded.reserveCapacity(bytes.count)
            var index = bytes.startIndex
            while index != bytes.endIndex {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    let high = bytes.index(after: index)
                    guard high != bytes.endIndex, let highValue = HTTPSyntax.hexValue(bytes[high]) else {
                        throw HTTPQueryError(.invalidPercentEscape)
                    }
                    let low = bytes.index(after: high)
                    guard low != bytes.endIndex, let lowValue = HTTPSyntax.hexValue(bytes[low]) else {
                        throw HTTPQueryError(.invalidPercentEscape)
                    }
                    decoded.append(highValue << 4 | lowValue)
                    index = bytes.index(after: low)
                } else {
                    decoded.append(plusAsSpace && byte == UInt8(ascii: "+") ? HTTPSyntax.sp : byte)
                    index = bytes.index(after: index)
                }
            }
        } else {
            decoded.append(contentsOf: bytes)
        }
        guard let string = String(validating: decoded, as: UTF8.self) else { throw HTTPQueryError(.invalidUTF8) }
        return string
    }
}
