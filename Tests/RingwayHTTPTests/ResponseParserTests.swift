import RingwayHTTP
import Testing

@Suite("HTTP response parser")
struct ResponseParserTests {
    @Test func contentLengthResponse() {
        let outcomes = parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        guard case .head(let head) = outcomes.first else { Issue.record("expected a head"); return }
        #expect(head.status.code == 200)
        #expect(head.status.reasonPhrase == "OK")
        #expect(head.keepAlive)
        #expect(outcomes.dropFirst() == [.body(bytes("hello")), .end])
    }

    @Test func chunkedResponseWithTrailers() {
        let outcomes = parseResponses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n")
        #expect(outcomes.dropFirst() == [.body(bytes("Wikipedia")), .trailers(["Expires": "never"]), .end])
    }

    @Test func bodyUntilCloseWithoutFraming() {
        let outcomes = parseResponses("HTTP/1.1 200 OK\r\n\r\nstreamed until close", eof: true)
        #expect(outcomes.dropFirst() == [.body(bytes("streamed until close")), .end, .closed])
    }

    @Test func responsesWithoutBody() {
        let noContent = parseResponses("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")
        #expect(noContent.count == 4)
        let head = parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", methods: [.head, .get])
        #expect(head.count == 5)
        #expect(head[3] == .body([UInt8(ascii: "x")]))
    }

    @Test func informationalResponsesPrecedeTheFinalOne() {
        let outcomes = parseResponses("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        guard case .informational(let interim) = outcomes.first, case .head(let final) = outcomes[1] else {
            Issue.record("expected 100 then 201")
            return
        }
        #expect(interim.status.code == 100)
        #expect(final.status.code == 201)
        #expect(outcomes.last == .end)
    }

    @Test func switchingProtocolsHandsOverTheRest() throws {
        var parser = HTTPResponseParser()
        parser.feed(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") + [0x81, 0x00])
        guard case .head(let head) = try parser.next() else { Issue.record("expected a head"); return }
        #expect(head.status.code == 101)
        #expect(try parser.next() == .end)
        #expect(try parser.next() == .switchingProtocols)
        #expect(parser.takeUnconsumedBytes() == [0x81, 0x00])
    }

    @Test func connectionCloseStopsAfterTheResponse() {
        #expect(parseResponses("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").last == .closed)
        #expect(parseResponses("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").last == .closed)
    }

    @Test func reasonPhraseIsOptional() {
        guard case .head(let head)? = parseResponses("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").first else {
            Issue.record("expected a head")
            return
        }
        #expect(head.status.code == 404)
    }

    @Test func malformedResponsesAreRefused() {
        #expect(parseResponses("HTTP/1.1 20 OK\r\n\r\n").last == .error(.invalidStartLine))
        #expect(parseResponses("HTTP/1.1 999 Odd\r\n\r\n").last == .error(.invalidStatusCode))
        #expect(parseResponses("HTTP/2.0 200 OK\r\n\r\n").last == .error(.unsupportedVersion))
        #expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").last == .error(.contentLengthWithTransferEncoding))
        #expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").last == .error(.duplicateContentLength))
        #expect(parseResponses("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n").last == .error(.bareLF))
        #expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", eof: true).last == .error(.unexpectedEndOfInput))
    }

    /// Found by fuzzing: a close-delimited body over the limit yields the bytes that fit, then
    /// the error, whether it arrives whole or byte by byte.
    @Test func closeDelimitedBodyOverTheLimit() throws {
        var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodySize: 4))
        parser.feed(bytes("HTTP/1.0 200 OK\r\n\r\n123456"))
        _ = try parser.next()
        #expect(try parser.next() == .body(ArraySlice(bytes("1234"))))
        #expect(throws: HTTPParserError(.bodyTooLarge)) { try parser.next() }
        #expect(runResponseParser(bytes("HTTP/1.0 200 OK\r\n\r\n123456"), chunk: 1, limits: HTTPParserLimits(maxBodySize: 4)) == [
            .head(ResponseHead(version: .http1_0, status: .ok)), .body(bytes("1234")), .error(.bodyTooLarge),
        ])
    }
}
