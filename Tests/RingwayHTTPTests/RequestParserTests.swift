import RingwayHTTP
import Testing

@Suite("HTTP request parser")
struct RequestParserTests {
    @Test func parsesASimpleGET() throws {
        let outcomes = parseRequests("GET /ws/v1/peers?entity_id=alice&x=1 HTTP/1.1\r\nHost: example.com\r\nX-Custom:  padded value \t\r\nx-custom: second\r\n\r\n")
        #expect(outcomes.count == 2)
        guard case .head(let head) = outcomes[0] else { Issue.record("expected a head"); return }
        #expect(outcomes[1] == .end)
        #expect(head.method == .get)
        #expect(head.target == "/ws/v1/peers?entity_id=alice&x=1")
        #expect(head.path == "/ws/v1/peers")
        #expect(head.rawQuery == "entity_id=alice&x=1")
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(head.host == "example.com")
        #expect(head.headers.first(name: "X-CUSTOM") == "padded value")
        #expect(head.headers.values(name: "x-custom") == ["padded value", "second"])
        #expect(head.headers.map(\.name) == ["Host", "X-Custom", "x-custom"])
        let query = try head.queryParameters()
        #expect(query["entity_id"] == "alice")
        #expect(query["x"] == "1")
    }

    @Test func emptyHeaderValueIsAllowed() {
        let outcomes = parseRequests("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n")
        guard case .head(let head) = outcomes.first else { Issue.record("expected a head"); return }
        #expect(head.headers.first(name: "X-Empty") == "")
    }

    @Test func readsAContentLengthBody() {
        let outcomes = parseRequests("POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(outcomes.count == 3)
        #expect(outcomes[1] == .body(bytes("hello world")))
        #expect(outcomes[2] == .end)
    }

    @Test func readsAChunkedBodyWithExtensionsAndTrailers() {
        let request = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; another\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        let outcomes = parseRequests(request)
        #expect(outcomes.count == 4)
        #expect(outcomes[1] == .body(bytes("hello world0123456789")))
        #expect(outcomes[2] == .trailers(["X-Checksum": "abc", "X-Other": "1"]))
        #expect(outcomes[3] == .end)
    }

    @Test func chunkedBodyWithoutTrailersEndsDirectly() {
        let outcomes = parseRequests("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n000\r\n\r\n")
        #expect(outcomes.dropFirst() == [.body(bytes("abc")), .end])
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let request = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /three HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcomes = parseRequests(request)
        let targets = outcomes.compactMap { outcome -> String? in
            if case .head(let head) = outcome { return head.target }
            return nil
        }
        #expect(targets == ["/one", "/two", "/three"])
        #expect(outcomes.count == 7)
        #expect(outcomes[3] == .body(bytes("abc")))
    }

    @Test func connectionCloseEndsTheConnectionAfterTheRequest() {
        let outcomes = parseRequests("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n")
        guard case .head(let head) = outcomes.first else { Issue.record("expected a head"); return }
        #expect(!head.keepAlive)
        #expect(outcomes.dropFirst() == [.end, .closed])
    }

    @Test func http10ClosesUnlessKeepAlive() {
        let plain = parseRequests("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        #expect(plain.count == 3)
        #expect(plain.last == .closed)
        let keepAlive = parseRequests("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
        #expect(keepAlive.count == 5)
        #expect(keepAlive.last == .closed)
    }

    @Test func reportsExpectContinue() {
        guard case .head(let head)? = parseRequests("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n").first else {
            Issue.record("expected a head")
            return
        }
        #expect(head.expectsContinue)
        guard case .head(let old)? = parseRequests("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").first else {
            Issue.record("expected a head")
            return
        }
        #expect(!old.expectsContinue)
    }

    @Test func expectContinueLetsTheServerAnswerBeforeTheBodyArrives() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"))
        guard case .head(let head) = try parser.next() else { Issue.record("expected a head"); return }
        #expect(head.expectsContinue)
        #expect(try parser.next() == .needMoreData)
        parser.feed(bytes("body"))
        #expect(try parser.next() == .body(ArraySlice(bytes("body"))))
        #expect(try parser.next() == .end)
    }

    @Test func upgradeRequestPausesTheParser() throws {
        let upgrade = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n"
        let outcomes = parseRequests(upgrade + "\u{81}\u{05}")
        guard case .head(let head) = outcomes.first else { Issue.record("expected a head"); return }
        #expect(head.isUpgradeRequest)
        #expect(outcomes.dropFirst() == [.end, .upgradePending])

        var parser = HTTPRequestParser()
        parser.feed(bytes(upgrade) + [0x81, 0x05, 0x48])
        _ = try parser.next()
        #expect(try parser.next() == .end)
        #expect(try parser.next() == .upgradePending)
        #expect(try parser.next() == .upgradePending)
        #expect(parser.takeUnconsumedBytes() == [0x81, 0x05, 0x48])
        #expect(try parser.next() == .closed)
    }

    @Test func declinedUpgradeResumesHTTP() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"))
        _ = try parser.next()
        #expect(try parser.next() == .end)
        #expect(try parser.next() == .upgradePending)
        parser.resume()
        guard case .head(let next) = try parser.next() else { Issue.record("expected a head"); return }
        #expect(next.target == "/next")
    }

    @Test func endOfInputBetweenRequestsIsAClose() {
        #expect(parseRequests("GET / HTTP/1.1\r\nHost: a\r\n\r\n", eof: true).last == .closed)
        #expect(parseRequests("", eof: true) == [.closed])
    }

    @Test func endOfInputInsideARequestIsAnError() {
        #expect(requestError("GET / HTTP/1.1\r\nHost: a\r\n", eof: true) == .unexpectedEndOfInput)
        #expect(requestError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", eof: true) == .unexpectedEndOfInput)
        #expect(requestError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", eof: true) == .unexpectedEndOfInput)
    }

    @Test func toleratesAFewLeadingEmptyLines() {
        let outcomes = parseRequests("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcomes.count == 2)
        #expect(requestError("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidStartLine)
    }

    @Test func acceptsTheOtherTargetForms() {
        guard case .head(let absolute)? = parseRequests("GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n").first else {
            Issue.record("expected a head")
            return
        }
        #expect(absolute.path == "/a/b")
        #expect(absolute.rawQuery == "c=d")
        #expect(parseRequests("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").count == 2)
        #expect(parseRequests("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").dropFirst() == [.end, .upgradePending])
        #expect(requestError("GET * HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidTarget)
        #expect(requestError("GET relative HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidTarget)
        #expect(requestError("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidTarget)
    }

    @Test func afterAnErrorTheParserKeepsFailing() {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET / HTTP/9.9\r\nHost: a\r\n\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion)) { try parser.next() }
        parser.feed(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(throws: HTTPParserError(.unsupportedVersion)) { try parser.next() }
    }

    @Test func bodySlicesCoverExactlyTheBody() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET"))
        _ = try parser.next()
        guard case .body(let slice) = try parser.next() else { Issue.record("expected body"); return }
        #expect(Array(slice) == bytes("abc"))
        #expect(parser.bufferedByteCount == 3)
    }
}
