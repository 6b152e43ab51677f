import RingwayHTTP
import Testing

@Suite("HTTP writers")
struct WriterTests {
    @Test func writesAResponseWithContentLength() throws {
        var buffer: [UInt8] = []
        try HTTPWriter.writeResponse(
            ResponseHead(status: .ok, headers: ["Content-Type": "application/json"]), body: Array("{}".utf8), into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func chunkedResponseRoundTripsThroughTheParser() throws {
        var buffer: [UInt8] = []
        try HTTPWriter.writeResponseHead(ResponseHead(status: .ok), body: .chunked, into: &buffer)
        HTTPWriter.writeChunk(Array("hello ".utf8), into: &buffer)
        HTTPWriter.writeChunk([UInt8](), into: &buffer)
        HTTPWriter.writeChunk([UInt8](repeating: 0x61, count: 300), into: &buffer)
        try HTTPWriter.writeFinalChunk(trailers: ["X-Digest": "abc"], into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n12c\r\n"))
        let outcomes = runResponseParser(buffer)
        #expect(outcomes.dropFirst() == [
            .body(Array("hello ".utf8) + [UInt8](repeating: 0x61, count: 300)), .trailers(["X-Digest": "abc"]), .end,
        ])
    }

    @Test func requestRoundTripsThroughTheParser() throws {
        var buffer: [UInt8] = []
        let head = RequestHead(method: .post, target: "/v1/messages?x=1", headers: ["Host": "example.com", "Authorization": "Bearer t"])
        try HTTPWriter.writeRequestHead(head, body: .contentLength(3), into: &buffer)
        buffer += Array("abc".utf8)
        let outcomes = runRequestParser(buffer)
        guard case .head(let parsed) = outcomes.first else { Issue.record("expected a head"); return }
        #expect(parsed.method == .post)
        #expect(parsed.target == "/v1/messages?x=1")
        #expect(parsed.headers.first(name: "content-length") == "3")
        #expect(outcomes.dropFirst() == [.body(Array("abc".utf8)), .end])
    }

    @Test func refusesHeaderInjection() {
        var buffer: [UInt8] = []
        #expect(throws: HTTPWriterError(.invalidHeaderValue(name: "X-A"))) {
            try HTTPWriter.writeResponseHead(ResponseHead(status: .ok, headers: ["X-A": "v\r\nSet-Cookie: evil"]), body: .none, into: &buffer)
        }
        #expect(throws: HTTPWriterError(.invalidHeaderName("X A"))) {
            try HTTPWriter.writeResponseHead(ResponseHead(status: .ok, headers: ["X A": "v"]), body: .none, into: &buffer)
        }
        #expect(throws: HTTPWriterError(.invalidTarget)) {
            try HTTPWriter.writeRequestHead(RequestHead(method: .get, target: "/a b"), body: .none, into: &buffer)
        }
        #expect(throws: HTTPWriterError(.invalidMethod)) {
            try HTTPWriter.writeRequestHead(RequestHead(method: HTTPMethod(rawValue: "G T"), target: "/"), body: .none, into: &buffer)
        }
        #expect(throws: HTTPWriterError(.conflictingFramingHeader)) {
            try HTTPWriter.writeResponseHead(ResponseHead(status: .ok, headers: ["Content-Length": "1"]), body: .chunked, into: &buffer)
        }
        #expect(buffer.isEmpty)
    }

    @Test func writesAContinueAndACustomReason() throws {
        var buffer: [UInt8] = []
        try HTTPWriter.writeResponseHead(ResponseHead(status: .continue), body: .none, into: &buffer)
        try HTTPWriter.writeResponseHead(ResponseHead(version: .http1_0, status: HTTPStatus(code: 299, reasonPhrase: "Fine")), body: .none, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 299 Fine\r\n\r\n")
    }
}
