/// How the body of a message is delimited (RFC 9112 §6).
enum HTTPBodyFraming: Sendable, Hashable {
    case none
    case contentLength(Int)
    case chunked
    /// The body runs until the connection closes (responses only).
    case untilClose
    /// The connection switches protocols after the head (101, or 2xx to CONNECT).
    case switchingProtocols

    /// Framing of a request, refusing every ambiguity that request smuggling relies on.
    static func forRequest(_ head: RequestHead) throws(HTTPParserError) -> HTTPBodyFraming {
        let hostCount = head.headers.count(name: "Host")
        if hostCount > 1 || (head.version == .http1_1 && hostCount == 0) { throw HTTPParserError(.invalidHost) }
        return try fromFields(head.headers, version: head.version, isResponse: false)
    }

    /// Framing of a response to a request with `requestMethod`.
    static func forResponse(_ head: ResponseHead, requestMethod: HTTPMethod) throws(HTTPParserError) -> HTTPBodyFraming {
        let code = head.status.code
        if code == 101 || (requestMethod == .connect && (200..<300).contains(code)) { return .switchingProtocols }
        if requestMethod == .head || (100..<200).contains(code) || code == 204 || code == 304 { return .none }
        return try fromFields(head.headers, version: head.version, isResponse: true)
    }

    private static func fromFields(_ headers: HTTPHeaders, version: HTTPVersion, isResponse: Bool) throws(HTTPParserError) -> HTTPBodyFraming {
        let hasTransferEncoding = headers.contains(name: "Transfer-Encoding")
        let contentLengths = headers.values(name: "Content-Length")
        if hasTransferEncoding {
            if version == .http1_0 { throw HTTPParserError(.transferEncodingInHTTP10) }
            if !contentLengths.isEmpty { throw HTTPParserError(.contentLengthWithTransferEncoding) }
            let codings = headers.listElements(name: "Transfer-Encoding")
            let chunkedCount = codings.count { HTTPSyntax.equalsIgnoringCase($0, "chunked") }
            guard let last = codings.last, HTTPSyntax.equalsIgnoringCase(last, "chunked"), chunkedCount == 1 else {
                // A response whose last coding is not chunked is delimited by close (RFC 9112
                // §6.3 rule 4); a request cannot be, so it is refused.
                if isResponse, chunkedCount == 0, !codings.isEmpty { return .untilClose }
                throw HTTPParserError(.transferEncodingNotChunkedLast)
            }
            // Only `chunked` is decoded here; a body in any other coding is not implemented.
            guard codings.count == 1 else { throw HTTPParserError(.unsupportedTransferEncoding) }
            return .chunked
        }
        if contentLengths.isEmpty { return isResponse ? .untilClose : .none }
        guard contentLengths.count == 1 else { throw HTTPParserError(.duplicateContentLength) }
        let value = contentLengths[0]
        if value.utf8.contains(UInt8(ascii: ",")) { throw HTTPParserError(.duplicateContentLength) }
        guard let length = parseDecimal(value) else { throw HTTPParserError(.invalidContentLength) }
        return length == 0 ? .none : .contentLength(length)
    }

    /// A non-empty run of ASCII digits that fits in 62 bits.
    private static func parseDecimal(_ text: String) -> Int? {
        var value = 0
        var digits = 0
        for byte in text.utf8 {
            guard HTTPSyntax.isDigit(byte), value <= (1 << 62) / 10 else { return nil }
            value = value * 10 + Int(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
