/// Client-side, incremental HTTP/1.1 response parser, the mirror of `HTTPRequestParser`.
///
/// Whether a response has a body depends on the request it answers (a response to `HEAD`
/// has none), so call `requestSent(method:)` for each request written, in order. Without a
/// recorded method the response is taken to answer a `GET`.
public struct HTTPResponseParser: Sendable {
    /// What the parser found next.
    public enum Event: Sendable, Hashable {
        /// A 1xx response other than 101 (for example `100 Continue`). The final response follows.
        case informational(ResponseHead)
        /// A final response head (or 101). The body (possibly empty) follows, then `.end`.
        case head(ResponseHead)
        /// Body bytes; a slice of the parser's input buffer.
        case body(ArraySlice<UInt8>)
        /// The trailer fields of a chunked body, when there are any.
        case trailers(HTTPHeaders)
        /// The current response is complete.
        case end
        /// Feed more bytes (or `feedEOF()`) and call `next()` again.
        case needMoreData
        /// The server switched protocols (101, or 2xx to CONNECT); `takeUnconsumedBytes()`
        /// returns what followed the head.
        case switchingProtocols
        /// No further response will be read on this connection.
        case closed
    }

    private enum State: Sendable {
        case head(HTTPHeadScanner)
        case body(HTTPBodyDecoder, keepAlive: Bool, switching: Bool)
        case switchingProtocols
        case closed
        case failed(HTTPParserError)
    }

    /// The limits this parser enforces (`maxRequestLineLength` applies to the status line).
    public let limits: HTTPParserLimits
    private var buffer = HTTPInputBuffer()
    private var state: State = .head(HTTPHeadScanner(hasStartLine: true))
    private var pendingMethods: [HTTPMethod] = []
    private var bodyLimit: Int
    private var eof = false

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
        bodyLimit = limits.maxBodySize
    }

    /// Records that a request with `method` was sent; responses are matched in order.
    public mutating func requestSent(method: HTTPMethod) {
        pendingMethods.append(method)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        switch state {
        case .closed, .failed: return
        default: buffer.append(bytes)
        }
    }

    /// Records that the server closed its sending side.
    public mutating func feedEOF() {
        eof = true
    }

    /// Sets the largest body accepted for the current response.
    public mutating func setBodyLimit(_ limit: Int) {
        precondition(limit >= 0, "body limit must not be negative")
        bodyLimit = limit
    }

    /// Returns the bytes received after the last parsed message and stops the parser.
    public mutating func takeUnconsumedBytes() -> [UInt8] {
        state = .closed
        return buffer.takeAll()
    }

    /// Returns the next event. Throws a remote error when the input is invalid.
    public mutating func next() throws(HTTPParserError) -> Event {
        do throws(HTTPParserError) {
            return try advance()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func advance() throws(HTTPParserError) -> Event {
        switch state {
        case .failed(let error):
            throw error
        case .closed:
            return .closed
        case .switchingProtocols:
            return .switchingProtocols
        case .head(var scanner):
            let scannerLimits = HTTPHeadScanner.Limits(
                startLine: limits.maxRequestLineLength, block: limits.maxHeaderBlockSize,
                blockError: .headerBlockTooLarge, fields: limits.maxHeaderCount)
            if buffer.readableCount > 0, buffer.byte(at: 0) == HTTPSyntax.lf { throw HTTPParserError(.bareLF) }
            let headLength = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                try scanner.scan(bytes, limits: scannerLimits)
            }
            guard let headLength else {
                state = .head(scanner)
                if eof {
                    if buffer.readableCount == 0 {
                        state = .closed
                        return .closed
                    }
                    throw HTTPParserError(.unexpectedEndOfInput)
                }
                return .needMoreData
            }
            let head = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                try HTTPHeadParser.parseResponseHead(UnsafeRawBufferPointer(rebasing: bytes[..<headLength]), fieldCount: scanner.fieldCount)
            }
            buffer.consume(headLength)
            if (100..<200).contains(head.status.code), head.status.code != 101 {
                state = .head(HTTPHeadScanner(hasStartLine: true))
                return .informational(head)
            }
            let method = pendingMethods.isEmpty ? .get : pendingMethods.removeFirst()
            let framing = try HTTPBodyFraming.forResponse(head, requestMethod: method)
            bodyLimit = limits.maxBodySize
            let keepAlive = head.keepAlive && framing != .untilClose
            state = .body(HTTPBodyDecoder(framing: framing), keepAlive: keepAlive, switching: framing == .switchingProtocols)
            return .head(head)
        case .body(var decoder, let keepAlive, let switching):
            let step = try decoder.step(&buffer, limits: limits, bodyLimit: bodyLimit, eof: eof)
            switch step {
            case .data(let bytes):
                state = .body(decoder, keepAlive: keepAlive, switching: switching)
                return .body(bytes)
            case .trailers(let trailers):
                state = .body(decoder, keepAlive: keepAlive, switching: switching)
                return .trailers(trailers)
            case .needMoreData:
                state = .body(decoder, keepAlive: keepAlive, switching: switching)
                return .needMoreData
            case .end:
                if switching {
                    state = .switchingProtocols
                } else if keepAlive {
                    state = .head(HTTPHeadScanner(hasStartLine: true))
                } else {
                    state = .closed
                }
                return .end
            }
        }
    }
}
