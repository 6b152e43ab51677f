import RingwayHTTP
import Testing

/// Every ambiguity that request smuggling relies on is refused with a 4xx/5xx and a close.
@Suite("HTTP request smuggling defences")
struct SmugglingTests {
    static let host = "Host: a\r\n"

    private func expectRefused(_ request: String, _ kind: HTTPParserError.Kind, status: Int = 400,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(requestError(request, sourceLocation: sourceLocation) == kind, sourceLocation: sourceLocation)
        #expect(HTTPParserError(kind).status.code == status, sourceLocation: sourceLocation)
        #expect(HTTPParserError(kind).mustCloseConnection, sourceLocation: sourceLocation)
    }

    @Test func contentLengthWithTransferEncoding() {
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", .contentLengthWithTransferEncoding)
    }

    @Test func duplicateOrDifferingContentLength() {
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", .duplicateContentLength)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", .duplicateContentLength)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", .duplicateContentLength)
    }

    @Test func malformedContentLength() {
        for value in ["+3", "-1", "0x10", "3a", "", "1 2", "99999999999999999999999"] {
            expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n", .invalidContentLength)
        }
    }

    @Test func transferEncodingOtherThanAFinalChunked() {
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .transferEncodingNotChunkedLast)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .transferEncodingNotChunkedLast)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingNotChunkedLast)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", .transferEncodingNotChunkedLast)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", .transferEncodingNotChunkedLast)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding, status: 501)
        expectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10)
    }

    @Test func obsoleteLineFolding() {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", .obsoleteLineFolding)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n", .obsoleteLineFolding)
        expectRefused("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding)
    }

    @Test func bareCR() {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", .bareCR)
        expectRefused("GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n", .bareCR)
        expectRefused("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", .bareCR)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n", .bareCR)
        expectRefused("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareCR)
    }

    @Test func bareLFIsRefused() {
        expectRefused("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLF)
        expectRefused("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLF)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLF)
        expectRefused("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLF)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", .bareLF)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", .bareLF)
    }

    @Test func invalidTokenCharacters() {
        expectRefused("G(ET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod)
        expectRefused("G\u{7F}T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod)
        expectRefused(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n", .invalidHeaderName)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX@Y: z\r\n\r\n", .invalidHeaderName)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n", .invalidHeaderName)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .invalidHeaderName)
        // Whitespace between name and colon (RFC 9112 §5.1: MUST reject).
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc", .invalidHeaderName)
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n", .invalidHeaderName)
    }

    @Test func controlCharactersInValues() {
        for control in ["\u{00}", "\u{01}", "\u{1F}", "\u{7F}", "\u{0B}"] {
            expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\(control)c\r\n\r\n", .invalidHeaderValue)
        }
        expectRefused("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget)
        expectRefused("GET /a\u{80}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget)
        // Tabs and obs-text are field content.
        #expect(parseRequests("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\tc\u{E9}\r\n\r\n").count == 2)
    }

    @Test func versions() {
        expectRefused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, status: 505)
        expectRefused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion, status: 505)
        expectRefused("GET / HTTP/0.9\r\nHost: a\r\n\r\n", .unsupportedVersion, status: 505)
        expectRefused("GET / HTTP/1.10\r\nHost: a\r\n\r\n", .invalidVersion)
        expectRefused("GET / http/1.1\r\nHost: a\r\n\r\n", .invalidVersion)
        expectRefused("GET / HTTP/1\r\nHost: a\r\n\r\n", .invalidVersion)
        expectRefused("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .invalidVersion)
        expectRefused("GET /\r\nHost: a\r\n\r\n", .invalidStartLine)
        expectRefused("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidStartLine)
        expectRefused("garbage\r\n\r\n", .invalidStartLine)
    }

    @Test func hostIsRequiredOnceOnHTTP11() {
        expectRefused("GET / HTTP/1.1\r\n\r\n", .invalidHost)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .invalidHost)
        #expect(parseRequests("GET / HTTP/1.0\r\n\r\n").count == 3)
    }

    @Test func malformedChunks() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        expectRefused(head + "zz\r\n", .invalidChunk)
        expectRefused(head + "\r\n", .invalidChunk)
        expectRefused(head + "-1\r\n", .invalidChunk)
        expectRefused(head + "1x\r\n", .invalidChunk)
        expectRefused(head + "FFFFFFFFFFFFFFFFF\r\n", .invalidChunk)
        expectRefused(head + "3\r\nabcX\r\n0\r\n\r\n", .invalidChunk)
        expectRefused(head + "3\r\nabc\rX0\r\n\r\n", .bareCR)
        expectRefused(head + "3;ext=\u{01}\r\nabc\r\n0\r\n\r\n", .invalidChunk)
    }
}
