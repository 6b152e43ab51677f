import RingwayJSON
import Testing

@Suite("JSON scanner")
struct JSONScannerTests {
    @Test func reportsTopLevelMembersWithoutBuilding() throws {
        let text = #" {"type" : "MESSAGE", "n": -1.5, "p": {"x": [1, 2]}, "z": null, "q\u0041": true} "#
        let bytes = Array(text.utf8)
        var names: [String] = []
        var values: [JSONValueToken] = []
        var ranges: [String] = []
        let top = try bytes.withUnsafeBytes { buffer in
            try JSONScanner.scan(buffer) { member in
                names.append(member.name.decode(in: buffer))
                values.append(member.value)
                ranges.append(String(decoding: buffer[member.valueRange], as: UTF8.self))
            }
        }
        guard case .object(let range) = top else {
            Issue.record("top-level value not reported as an object")
            return
        }
        #expect(range == 1..<(bytes.count - 1))
        #expect(names == ["type", "n", "p", "z", "qA"])
        #expect(ranges == [#""MESSAGE""#, "-1.5", #"{"x": [1, 2]}"#, "null", "true"])
        #expect(values[1] == .number(-1.5))
        #expect(values[3] == .null)
        #expect(values[4] == .bool(true))
        if case .string(let token) = values[0] {
            bytes.withUnsafeBytes { buffer in
                #expect(token.decodedEquals("MESSAGE", in: buffer))
                #expect(!token.decodedEquals("MESSAGES", in: buffer))
            }
        } else {
            Issue.record("type is not a string token")
        }
    }

    @Test func escapedTokensCompareAfterUnescaping() throws {
        let bytes = Array(#"{"\u0074ype":"\u004dESSAGE"}"#.utf8)
        try bytes.withUnsafeBytes { buffer in
            var matched = false
            try JSONScanner.scan(buffer) { member in
                guard case .string(let value) = member.value else { return }
                matched = member.name.decodedEquals("type", in: buffer) && value.decodedEquals("MESSAGE", in: buffer)
                #expect(value.decode(in: buffer) == "MESSAGE")
                value.withDecodedBytes(in: buffer) { #expect(Array($0) == Array("MESSAGE".utf8)) }
            }
            #expect(matched)
        }
    }

    @Test func nonObjectTopLevelReportsNoMembers() throws {
        var count = 0
        let top = try Array("[1,2]".utf8).withUnsafeBytes { buffer in
            try JSONScanner.scan(buffer) { _ in count += 1 }
        }
        #expect(top == .array(0..<5))
        #expect(count == 0)
    }
}
