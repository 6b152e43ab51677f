import RingwayJSON
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test func objectsCompareRegardlessOfOrder() {
        let a: JSONValue = ["x": 1, "y": [true, nil]]
        let b: JSONValue = ["y": [true, nil], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1])
    }

    @Test func objectSubscriptEditsInPlace() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = "one"
        object["c"] = 3
        object["b"] = nil
        #expect(object.members.map(\.name) == ["a", "c"])
        #expect(object["a"] == "one")
        #expect(object.removeValue(forName: "c") == 3)
        #expect(object.count == 1)
    }

    @Test func safeIntegers() {
        #expect(JSONValue.number(1_700_000_000).safeIntegerValue == 1_700_000_000)
        #expect(JSONValue.number(9_007_199_254_740_991).safeIntegerValue == 9_007_199_254_740_991)
        #expect(JSONValue.number(9_007_199_254_740_992).safeIntegerValue == nil)
        #expect(JSONValue.number(1.5).safeIntegerValue == nil)
        #expect(JSONValue.string("1").safeIntegerValue == nil)
    }

    @Test func roundTripThroughWriterAndReader() throws {
        let original: JSONValue = [
            "s": "line\nbreak \"quoted\" \u{1} é 😀",
            "n": [0, -1, 1.5, 1e21, .number(.leastNonzeroMagnitude)],
            "o": ["nested": ["deep": nil]],
            "b": false,
        ]
        let text = JSONWriter.encode(original)
        #expect(try JSONReader.parse(text) == original)
        #expect(try JSONReader.parse(JSONCanonicalizer.canonicalize(original)) == original)
    }
}
