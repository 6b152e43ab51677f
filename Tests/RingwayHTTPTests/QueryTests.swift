import RingwayHTTP
import Testing

@Suite("Query string decoding")
struct QueryTests {
    @Test func decodesFormEncodedPairs() throws {
        let query = try QueryParameters(parsing: "a=1&b=hello+world&c=%E2%9C%93&d&&e=&a=2&f=x%3Dy%26z")
        #expect(query.map(\.name) == ["a", "b", "c", "d", "e", "a", "f"])
        #expect(query["a"] == "1")
        #expect(query.values(for: "a") == ["1", "2"])
        #expect(query["b"] == "hello world")
        #expect(query["c"] == "✓")
        #expect(query["d"] == "")
        #expect(query["e"] == "")
        #expect(query["f"] == "x=y&z")
        #expect(query["missing"] == nil)
        #expect(try QueryParameters(parsing: "").isEmpty)
    }

    @Test func invalidEscapesAreErrors() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%4G", "%=1"] {
            #expect(throws: HTTPQueryError(.invalidPercentEscape)) { try QueryParameters(parsing: bad) }
        }
        #expect(throws: HTTPQueryError(.invalidUTF8)) { try QueryParameters(parsing: "a=%FF") }
        #expect(throws: HTTPQueryError(.invalidUTF8)) { try QueryParameters(parsing: "a=%C3") }
        #expect(HTTPQueryError(.invalidPercentEscape).status.code == 400)
    }

    @Test func limitsApply() throws {
        let limits = QueryLimits(maxParameters: 2, maxQueryLength: 10)
        #expect(try QueryParameters(parsing: "a=1&b=2", limits: limits).count == 2)
        #expect(throws: HTTPQueryError(.tooManyParameters)) { try QueryParameters(parsing: "a&b&c", limits: limits) }
        #expect(throws: HTTPQueryError(.tooLong)) { try QueryParameters(parsing: "a=12345678901", limits: limits) }
    }

    @Test func percentDecodingOfPaths() throws {
        #expect(try PercentDecoding.decode("/a%20b+c") == "/a b+c")
        #expect(try PercentDecoding.decode("a+b", plusAsSpace: true) == "a b")
    }

    @Test func requestHeadExposesTheQuery() throws {
        let head = RequestHead(method: .get, target: "/auth/token?entity_id=alice&pubkey=abc-_", headers: ["Host": "a"])
        let query = try head.queryParameters()
        #expect(query["entity_id"] == "alice")
        #expect(query["pubkey"] == "abc-_")
        #expect(RequestHead(method: .get, target: "/plain").rawQuery == nil)
        #expect(RequestHead(method: .get, target: "/plain?").rawQuery == "")
    }
}
