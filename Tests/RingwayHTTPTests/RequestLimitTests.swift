import RingwayHTTP
import Testing

@Suite("HTTP request limits")
struct RequestLimitTests {
    @Test func requestLineOverTheLimitIs414() {
        let long = "GET /" + String(repeating: "a", count: 8 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(requestError(long) == .requestLineTooLong)
        #expect(HTTPParserError(.requestLineTooLong).status.code == 414)
        // Refused before the line ends: the parser never buffers more than the limit.
        #expect(requestError("GET /" + String(repeating: "a", count: 9000)) == .requestLineTooLong)
        let exact = "GET /" + String(repeating: "a", count: 8 * 1024 - 14) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parseRequests(exact).count == 2)
    }

    @Test func headerBlockOverTheLimitIs431() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 16 * 1024) + "\r\n\r\n"
        #expect(requestError(big) == .headerBlockTooLarge)
        #expect(HTTPParserError(.headerBlockTooLarge).status.code == 431)
        #expect(requestError("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "b", count: 17 * 1024)) == .headerBlockTooLarge)
    }

    @Test func moreThan100HeadersIs431() {
        var request = "GET / HTTP/1.1\r\nHost: a\r\n"
        for index in 0..<99 { request += "X-\(index): v\r\n" }
        #expect(parseRequests(request + "\r\n").count == 2)
        #expect(requestError(request + "X-Last: v\r\n\r\n") == .tooManyHeaders)
        #expect(HTTPParserError(.tooManyHeaders).status.code == 431)
    }

    @Test func limitsAreConfigurable() {
        let limits = HTTPParserLimits(maxRequestLineLength: 20, maxHeaderBlockSize: 30, maxHeaderCount: 2, maxBodySize: 4)
        #expect(requestError("GET /0123456789012345 HTTP/1.1\r\n\r\n", limits: limits) == .requestLineTooLong)
        #expect(requestError("GET / HTTP/1.1\r\nHost: a\r\nX-Long: 01234567890123456789\r\n\r\n", limits: limits) == .headerBlockTooLarge)
        #expect(requestError("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits) == .tooManyHeaders)
        #expect(requestError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n12345", limits: limits) == .bodyTooLarge)
    }

    @Test func bodyOverTheLimitIs413() {
        let limits = HTTPParserLimits(maxBodySize: 10)
        #expect(requestError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits) == .bodyTooLarge)
        #expect(parseRequests("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits).count == 3)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"
        #expect(requestError(chunked, limits: limits) == .bodyTooLarge)
        #expect(HTTPParserError(.bodyTooLarge).status.code == 413)
    }

    @Test func bodyLimitCanBeSetPerRequestAfterTheHead() {
        let request = "POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n12345"
            + "POST /large HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n01234567890123456789"
        let limits = HTTPParserLimits(maxBodySize: 10)
        let raised = parseRequests(request, limits: limits) { head, parser in
            if head.path == "/large" { parser.setBodyLimit(100) }
        }
        #expect(raised.count == 6)
        #expect(raised[4] == .body(bytes("01234567890123456789")))
        let lowered = parseRequests(request, limits: limits) { head, parser in
            if head.path == "/small" { parser.setBodyLimit(4) }
        }
        #expect(lowered.last == .error(.bodyTooLarge))
    }

    @Test func trailerSectionIsLimited() {
        let limits = HTTPParserLimits(maxTrailerSize: 16)
        let request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 0123456789\r\n\r\n"
        #expect(requestError(request, limits: limits) == .trailersTooLarge)
        var many = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        for index in 0..<101 { many += "T\(index): v\r\n" }
        #expect(requestError(many + "\r\n") == .tooManyHeaders)
    }

    @Test func chunkSizeLineIsLimited() {
        let limits = HTTPParserLimits(maxChunkLineLength: 16)
        let request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 20)
        #expect(requestError(request, limits: limits) == .invalidChunk)
    }

    /// Found by fuzzing: a bare LF after a line that is already over a limit must report the
    /// limit, as it does when the bytes arrive one at a time and the limit trips first.
    @Test func limitBrokenBeforeABareLFWinsWhateverTheSplit() {
        let limits = HTTPParserLimits(maxRequestLineLength: 256, maxHeaderBlockSize: 512, maxChunkLineLength: 16)
        #expect(requestError("+ " + String(repeating: "n", count: 300) + "\n", limits: limits) == .requestLineTooLong)
        #expect(requestError("GET / HTTP/1.1\r\nX: " + String(repeating: "n", count: 600) + "\n", limits: limits) == .headerBlockTooLarge)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 20) + "\n"
        #expect(requestError(chunked, limits: limits) == .invalidChunk)
    }
}
