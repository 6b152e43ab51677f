/// Server-side, incremental HTTP/1.1 request parser (h11 shape): `feed(_:)` bytes as they
/// arrive, then call `next()` until it returns `.needMoreData`. End of input is an input too:
/// call `feedEOF()` when the peer closes.
///
/// Pipelined requests come out in order. After a request that ends the connection's HTTP use
/// (`Connection: close`, HTTP/1.0 without keep-alive) the parser reports `.closed`; after an
/// upgrade request it reports `.upgradePending` until the caller either declines with
/// `resume()` or switches protocols with `takeUnconsumedBytes()`.
///
/// Remote errors are thrown as `HTTPParserError` (with the status to answer); after one, every
/// call to `next()` throws it again and the connection must be closed.
///
/// The parser is strict where parsers disagree (see `HTTPHeadParser`): bare CR and bare LF,
/// obs-fold, whitespace before a colon, `Content-Length` together with `Transfer-Encoding`,
/// repeated `Content-Length`, and any transfer coding but a single final `chunked` are refused.
public struct HTTPRequestParser: Sendable {
    /// What the parser found next.
    public enum Event: Sendable, Hashable {
        /// A request head. The body (possibly empty) follows, then `.end`.
        case head(RequestHead)
        /// Body bytes; a slice of the parser's input buffer, valid to keep (copy-on-write).
        case body(ArraySlice<UInt8>)
        /// The trailer fields of a chunked body, when there are any. `.end` follows.
        case trailers(HTTPHeaders)
        /// The current request is complete.
        case end
        /// Feed more bytes (or `feedEOF()`) and call `next()` again.
        case needMoreData
        /// The last request asked to switch protocols. Call `resume()` to go on parsing HTTP
        /// (upgrade declined) or `takeUnconsumedBytes()` to hand the rest to the new protocol.
        case upgradePending
        /// No further request will be read: the peer closed between requests, or the last
        /// request did not keep the connection alive. Bytes after it are ignored.
        case closed
    }

    private enum State: Sendable {
        case head(HTTPHeadScanner, skippedEmptyLines: Int)
        case body(HTTPBodyDecoder, keepAlive: Bool, upgrade: Bool)
        case upgradePending(keepAlive: Bool)
        case closed
        case failed(HTTPParserError)
    }

    /// The limits this parser enforces.
    public let limits: HTTPParserLimits
    private var buffer = HTTPInputBuffer()
    private var state: State = .head(HTTPHeadScanner(hasStartLine: true), skippedEmptyLines: 0)
    private var bodyLimit: Int
    private var eof = false

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
        bodyLimit = limits.maxBodySize
    }

    /// Appends received bytes. Bytes fed after `.closed` or an error are dropped.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        switch state {
        case .closed, .failed: return
        default: buffer.append(bytes)
        }
    }

    /// Records that the peer closed its sending side.
    public mutating func feedEOF() {
        eof = true
    }

    /// Sets the largest body accepted for the current request, overriding
    /// `limits.maxBodySize`. Call it after `.head` (for example per route); it lasts until the
    /// next request head.
    public mutating func setBodyLimit(_ limit: Int) {
        precondition(limit >= 0, "body limit must not be negative")
        bodyLimit = limit
    }

    /// Leaves `.upgradePending` and goes on parsing HTTP (the upgrade was refused).
    public mutating func resume() {
        guard case .upgradePending(let keepAlive) = state else {
            preconditionFailure("resume() called while no upgrade is pending")
        }
        state = keepAlive ? .head(HTTPHeadScanner(hasStartLine: true), skippedEmptyLines: 0) : .closed
    }

    /// Returns the bytes received after the last parsed message and stops the parser; used
    /// after `.upgradePending` when switching to another protocol.
    public mutating func takeUnconsumedBytes() -> [UInt8] {
        state = .closed
        return buffer.takeAll()
    }

    /// Number of received bytes not yet consumed.
    public var bufferedByteCount: Int { buffer.readableCount }

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
        case .upgradePending:
            return .upgradePending
        case .head(var scanner, var skipped):
            if scanner.isAtStart {
                // RFC 9112 §2.2: ignore a few empty lines sent before a request line.
                while buffer.readableCount >= 1, buffer.byte(at: 0) == HTTPSyntax.cr {
                    guard buffer.readableCount >= 2 else { break }
                    guard buffer.byte(at: 1) == HTTPSyntax.lf else { throw HTTPParserError(.bareCR) }
                    skipped += 1
                    if skipped > limits.maxLeadingEmptyLines { throw HTTPParserError(.invalidStartLine) }
                    buffer.consume(2)
                }
                if buffer.readableCount >= 1, buffer.byte(at: 0) == HTTPSyntax.lf { throw HTTPParserError(.bareLF) }
                if buffer.readableCount == 0 || (buffer.readableCount == 1 && buffer.byte(at: 0) == HTTPSyntax.cr) {
                    state = .head(scanner, skippedEmptyLines: skipped)
                    if eof {
                        if buffer.readableCount == 0 {
                            state = .closed
                            return .closed
                        }
                        throw HTTPParserError(.unexpectedEndOfInput)
                    }
                    return .needMoreData
                }
            }
            let scannerLimits = HTTPHeadScanner.Limits(
                startLine: limits.maxRequestLineLength, block: limits.maxHeaderBlockSize,
                blockError: .headerBlockTooLarge, fields: limits.maxHeaderCount)
            let headLength = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                try scanner.scan(bytes, limits: scannerLimits)
            }
            guard let headLength else {
                state = .head(scanner, skippedEmptyLines: skipped)
                if eof { throw HTTPParserError(.unexpectedEndOfInput) }
                return .needMoreData
            }
            let head = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                try HTTPHeadParser.parseRequestHead(UnsafeRawBufferPointer(rebasing: bytes[..<headLength]), fieldCount: scanner.fieldCount)
            }
            let framing = try HTTPBodyFraming.forRequest(head)
            buffer.consume(headLength)
            bodyLimit = limits.maxBodySize
            state = .body(HTTPBodyDecoder(framing: framing), keepAlive: head.keepAlive, upgrade: head.isUpgradeRequest)
            return .head(head)
        case .body(var decoder, let keepAlive, let upgrade):
            let step = try decoder.step(&buffer, limits: limits, bodyLimit: bodyLimit, eof: eof)
            switch step {
            case .data(let bytes):
                state = .body(decoder, keepAlive: keepAlive, upgrade: upgrade)
                return .body(bytes)
            case .trailers(let trailers):
                state = .body(decoder, keepAlive: keepAlive, upgrade: upgrade)
                return .trailers(trailers)
            case .needMoreData:
                state = .body(decoder, keepAlive: keepAlive, upgrade: upgrade)
                return .needMoreData
            case .end:
                if upgrade {
                    state = .upgradePending(keepAlive: keepAlive)
                } else if keepAlive {
                    state = .head(HTTPHeadScanner(hasStartLine: true), skippedEmptyLines: 0)
                } else {
                    state = .closed
                }
                return .end
            }
        }
    }
}
