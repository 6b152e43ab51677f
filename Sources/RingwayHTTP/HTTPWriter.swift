/// How a written message's body is delimited.
public enum HTTPBodyLength: Sendable, Hashable {
    /// The writer adds no framing field: for bodiless messages (1xx, 204, 304, 101, most
    /// requests) or when the caller wrote the framing field itself (a response to `HEAD`).
    case none
    /// The writer adds `Content-Length`; exactly that many body bytes must follow.
    case contentLength(Int)
    /// The writer adds `Transfer-Encoding: chunked`; follow with `writeChunk` and `writeFinalChunk`.
    case chunked
}

/// A message the caller asked to write that would not be valid HTTP (local misuse, never a
/// peer's fault). Refusing it keeps a header value from injecting CRLF into the stream.
public struct HTTPWriterError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case invalidMethod
        case invalidTarget
        case invalidStatus
        case invalidReasonPhrase
        case invalidHeaderName(String)
        case invalidHeaderValue(name: String)
        /// `body` asked for framing but the headers already carry `Content-Length` or
        /// `Transfer-Encoding`.
        case conflictingFramingHeader
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }
}

/// Serializes HTTP/1.1 messages into a caller-provided buffer (appending, no allocation beyond
/// the buffer's growth).
public enum HTTPWriter {
    /// Appends a status line and the header fields, plus the framing field `body` asks for.
    public static func writeResponseHead(_ head: ResponseHead, body: HTTPBodyLength, into buffer: inout [UInt8]) throws(HTTPWriterError) {
        guard (100...999).contains(head.status.code) else { throw HTTPWriterError(.invalidStatus) }
        for byte in head.status.reasonPhrase.utf8 where !HTTPSyntax.isFieldValueChar(byte) {
            throw HTTPWriterError(.invalidReasonPhrase)
        }
        try validateFields(head.headers, body: body)
        appendVersion(head.version, into: &buffer)
        buffer.append(HTTPSyntax.sp)
        appendDecimal(head.status.code, into: &buffer)
        buffer.append(HTTPSyntax.sp)
        buffer.append(contentsOf: head.status.reasonPhrase.utf8)
        appendCRLF(into: &buffer)
        appendFields(head.headers, body: body, into: &buffer)
    }

    /// Appends a request line and the header fields, plus the framing field `body` asks for.
    public static func writeRequestHead(_ head: RequestHead, body: HTTPBodyLength, into buffer: inout [UInt8]) throws(HTTPWriterError) {
        guard HTTPSyntax.isToken(head.method.rawValue) else { throw HTTPWriterError(.invalidMethod) }
        guard !head.target.isEmpty, head.target.utf8.allSatisfy(HTTPSyntax.isVisibleASCII) else {
            throw HTTPWriterError(.invalidTarget)
        }
        try validateFields(head.headers, body: body)
        buffer.append(contentsOf: head.method.rawValue.utf8)
        buffer.append(HTTPSyntax.sp)
        buffer.append(contentsOf: head.target.utf8)
        buffer.append(HTTPSyntax.sp)
        appendVersion(head.version, into: &buffer)
        appendCRLF(into: &buffer)
        appendFields(head.headers, body: body, into: &buffer)
    }

    /// Appends a complete response with a `Content-Length` body.
    public static func writeResponse(_ head: ResponseHead, body: some Collection<UInt8>, into buffer: inout [UInt8]) throws(HTTPWriterError) {
        try writeResponseHead(head, body: .contentLength(body.count), into: &buffer)
        buffer.append(contentsOf: body)
    }

    /// Appends one chunk of a chunked body. An empty `data` writes nothing, because an empty
    /// chunk would end the body.
    public static func writeChunk(_ data: some Collection<UInt8>, into buffer: inout [UInt8]) {
        guard !data.isEmpty else { return }
        writeChunkHeader(length: data.count, into: &buffer)
        buffer.append(contentsOf: data)
        appendCRLF(into: &buffer)
    }

    /// Appends just a chunk-size line, for writing the chunk's `length` bytes separately
    /// (for example with a vectored write); the caller then appends the data and a CRLF.
    public static func writeChunkHeader(length: Int, into buffer: inout [UInt8]) {
        precondition(length > 0, "a chunk must not be empty")
        appendHex(length, into: &buffer)
        appendCRLF(into: &buffer)
    }

    /// Appends the last chunk, the trailer fields and the final CRLF.
    public static func writeFinalChunk(trailers: HTTPHeaders = HTTPHeaders(), into buffer: inout [UInt8]) throws(HTTPWriterError) {
        try validateFields(trailers, body: .none)
        buffer.append(UInt8(ascii: "0"))
        appendCRLF(into: &buffer)
        appendFields(trailers, body: .none, into: &buffer)
    }

    private static func validateFields(_ headers: HTTPHeaders, body: HTTPBodyLength) throws(HTTPWriterError) {
        try headers.forEachField { (name, value) throws(HTTPWriterError) in
            guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenChar) else {
                throw HTTPWriterError(.invalidHeaderName(String(decoding: name, as: UTF8.self)))
            }
            let trimmed = value.first.map { $0 != HTTPSyntax.sp && $0 != HTTPSyntax.htab } ?? true
                && value.last.map { $0 != HTTPSyntax.sp && $0 != HTTPSyntax.htab } ?? true
            guard trimmed, value.allSatisfy(HTTPSyntax.isFieldValueChar) else {
                throw HTTPWriterError(.invalidHeaderValue(name: String(decoding: name, as: UTF8.self)))
            }
        }
        if body != .none, headers.contains(name: "Content-Length") || headers.contains(name: "Transfer-Encoding") {
            throw HTTPWriterError(.conflictingFramingHeader)
        }
    }

    private static func appendFields(_ headers: HTTPHeaders, body: HTTPBodyLength, into buffer: inout [UInt8]) {
        // The closure cannot throw; `forEachField` only rethrows what it is given.
        try? headers.forEachField { name, value in
            buffer.append(contentsOf: name)
            buffer.append(HTTPSyntax.colon)
            buffer.append(HTTPSyntax.sp)
            buffer.append(contentsOf: value)
            appendCRLF(into: &buffer)
        }
        switch body {
        case .none:
            break
        case .contentLength(let length):
            precondition(length >= 0, "Content-Length must not be negative")
            buffer.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(length, into: &buffer)
            appendCRLF(into: &buffer)
        case .chunked:
            buffer.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        }
        appendCRLF(into: &buffer)
    }

    private static func appendVersion(_ version: HTTPVersion, into buffer: inout [UInt8]) {
        precondition((0...9).contains(version.major) && (0...9).contains(version.minor), "version digits must be 0-9")
        buffer.append(contentsOf: "HTTP/".utf8)
        buffer.append(UInt8(0x30 + version.major))
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(0x30 + version.minor))
    }

    @inline(__always)
    private static func appendCRLF(into buffer: inout [UInt8]) {
        buffer.append(HTTPSyntax.cr)
        buffer.append(HTTPSyntax.lf)
    }

    private static func appendDecimal(_ value: Int, into buffer: inout [UInt8]) {
        var divisor = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(UInt8(0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    private static func appendHex(_ value: Int, into buffer: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            buffer.append(digits.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}
