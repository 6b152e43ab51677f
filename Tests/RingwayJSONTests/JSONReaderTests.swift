import RingwayJSON
import Testing

@Suite("JSON reader: accepted documents")
struct JSONReaderAcceptTests {
    @Test func scalarsAtTopLevel() throws {
        #expect(try value("null") == .null)
        #expect(try value("true") == .bool(true))
        #expect(try value(" false ") == .bool(false))
        #expect(try value("-12.5e1") == .number(-125))
        #expect(try value(#""hi""#) == .string("hi"))
        #expect(try value("\t\r\n 0 \n") == .number(0))
    }

    @Test func nestedContainersKeepOrder() throws {
        let parsed = try value(#"{"b":[1,{"c":null}],"a":{}}"#)
        let object = try #require(parsed.objectValue)
        #expect(object.members.map(\.name) == ["b", "a"])
        #expect(object["b"] == [1, ["c": nil]])
        #expect(object["a"] == .object(JSONObject()))
    }

    @Test func escapesDecode() throws {
        #expect(try value(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try value(#""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(try value(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try value(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func rawUTF8Passes() throws {
        #expect(try value("\"é€😀\u{7F}\"") == .string("é€😀\u{7F}"))
    }

    @Test func longStringsCrossTheWordAtATimeScan() throws {
        let text = String(repeating: "abcdefgh", count: 20) + "é" + String(repeating: "x", count: 13)
        #expect(try value("\"\(text)\"") == .string(text))
    }

    @Test func specialBytesAtEveryPositionOfAWord() throws {
        // The word-at-a-time scan must stop exactly at the first byte that needs attention.
        for prefix in 0..<17 {
            let lead = String(repeating: "x", count: prefix)
            #expect(try value("\"\(lead)\"") == .string(lead))
            #expect(try value("\"\(lead)\\n\(lead)\"") == .string(lead + "\n" + lead))
            #expect(try value("\"\(lead)é\(lead)\"") == .string(lead + "é" + lead))
            #expect(try value("\"\(lead)\u{7F}~ \(lead)\"") == .string(lead + "\u{7F}~ " + lead))
            let control = Array("\"\(lead)".utf8) + [0x1F] + Array("\(lead)\"".utf8)
            let failure = try #require(read(control).failure)
            #expect(failure == JSONError(.unescapedControlCharacter, at: prefix + 1))
            let invalid = Array("\"\(lead)".utf8) + [0xFF] + Array("abcdefgh\"".utf8)
            #expect(read(invalid).failure == JSONError(.invalidUTF8, at: prefix + 1))
        }
    }

    @Test func numbers() throws {
        #expect(try value("0") == .number(0))
        #expect(try value("-0") == .number(-0.0))
        #expect(try value("123456789012345") == .number(123_456_789_012_345))
        #expect(try value("9007199254740993") == .number(9_007_199_254_740_992))
        #expect(try value("1E2") == .number(100))
        #expect(try value("1e-2") == .number(0.01))
        #expect(try value("0.1") == .number(0.1))
        #expect(try value("1e-400") == .number(0))
        #expect(try value("1.7976931348623157e308") == .number(.greatestFiniteMagnitude))
    }

    @Test func equalNamesInDifferentObjectsAreFine() throws {
        let parsed = try value(#"{"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}]}"#)
        #expect(parsed.objectValue?.count == 3)
    }

    @Test func namesCompareByCodePointsNotCanonicalEquivalence() throws {
        // "é" precomposed and decomposed are different JSON names.
        let parsed = try value("{\"\u{E9}\":1,\"e\u{301}\":2}")
        #expect(parsed.objectValue?.count == 2)
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
    }
}

@Suite("JSON reader: refused documents (I-JSON)")
struct JSONReaderRejectTests {
    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        #"{"a":1,"\u0061":2}"#,
        #"{"\u00e9":1,"é":2}"#,
        #"{"x":{"k":1,"b":2,"k":3}}"#,
        #"[{"a":1,"b":2,"a":3}]"#,
        #"{"\ud83d\ude00":1,"😀":2}"#,
        #"{"a\/b":1,"a/b":2}"#,
    ])
    func duplicateMemberNames(_ text: String) {
        #expect(errorKind(text) == .duplicateMember)
    }

    @Test func duplicatesAmongManyMembersSpillingPastInlineStorage() {
        let members = (0..<200).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(errorKind("{\(members)}") == nil)
        #expect(errorKind("{\(members),\"k150\":0}") == .duplicateMember)
        let nested = (0..<70).map { "\"n\($0)\":{\"k\":1,\"z\($0)\":2}" }.joined(separator: ",")
        #expect(errorKind("{\(nested)}") == nil)
        #expect(errorKind("{\(nested),\"n3\":0}") == .duplicateMember)
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity", "[NaN]", #"{"a":Infinity}"#, "nan", "inf"])
    func nonFiniteLiterals(_ text: String) {
        #expect(errorKind(text) != nil)
    }

    @Test(arguments: [
        #""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#, #""\ud800\ud800""#,
        #""a\uDFFFb""#, #""\ud83d\n""#,
    ])
    func loneSurrogates(_ text: String) {
        #expect(errorKind(text) == .loneSurrogate)
    }

    @Test(arguments: [
        [0x22, 0xC0, 0x80, 0x22],                   // overlong NUL
        [0x22, 0xC1, 0xBF, 0x22],                   // overlong
        [0x22, 0xE0, 0x80, 0x80, 0x22],             // overlong 3-byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],             // UTF-8-encoded surrogate
        [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22],       // overlong 4-byte
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],       // above U+10FFFF
        [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],       // invalid lead
        [0x22, 0x80, 0x22],                         // stray continuation
        [0x22, 0xE2, 0x82, 0x22],                   // truncated sequence
        [0x22, 0xFF, 0x22],
    ] as [[UInt8]])
    func invalidUTF8(_ bytes: [UInt8]) {
        #expect(errorKind(bytes) == .invalidUTF8)
    }

    @Test func invalidUTF8InMemberNames() {
        #expect(errorKind([0x7B, 0x22, 0xC3, 0x22, 0x3A, 0x31, 0x7D]) == .invalidUTF8)
    }

    @Test(arguments: [
        #""\uFFFF""#, #""\ufffe""#, #""\uFDD0""#, #""\uFDEF""#, #""\ud83f\udfff""#, #""\udbff\udffe""#,
    ])
    func escapedNoncharacters(_ text: String) {
        #expect(errorKind(text) == .noncharacter)
    }

    @Test func rawNoncharacters() {
        #expect(errorKind([0x22, 0xEF, 0xBF, 0xBF, 0x22]) == .noncharacter)
        #expect(errorKind([0x22, 0xEF, 0xB7, 0x90, 0x22]) == .noncharacter)
        #expect(errorKind([0x22, 0xF4, 0x8F, 0xBF, 0xBE, 0x22]) == .noncharacter)
        #expect(errorKind([0x22, 0xEF, 0xB7, 0xB0, 0x22]) == nil)  // U+FDF0 is a character
    }

    @Test(arguments: [#""\x41""#, #""\u12G4""#, #""\U0041""#, #""\'""#, #""\u004""#])
    func invalidEscapes(_ text: String) {
        let kind = errorKind(text)
        #expect(kind == .invalidEscape || kind == .unexpectedEnd)
    }

    @Test func unescapedControlCharacters() {
        #expect(errorKind("\"a\nb\"") == .unescapedControlCharacter)
        #expect(errorKind([0x22, 0x00, 0x22]) == .unescapedControlCharacter)
        #expect(errorKind("\"tab\there\"") == .unescapedControlCharacter)
    }

    @Test(arguments: ["01", "1.", ".5", "+1", "1e", "1e+", "-", "-a", "0x10", "1.e3", "--1", "1ee2"])
    func malformedNumbers(_ text: String) {
        #expect(errorKind(text) != nil)
    }

    @Test func numbersTooLargeForADouble() {
        #expect(errorKind("1e400") == .numberOutOfRange)
        #expect(errorKind("-1e309") == .numberOutOfRange)
    }

    @Test(arguments: [
        "", " ", "[1,]", #"{"a":1,}"#, "[1 2]", #"{"a" 1}"#, #"{'a':1}"#, "{a:1}", "[1]]", "{}{}",
        "// c\n1", "/* c */1", "[", "{", #"{"a""#, #""abc"#, "tru", "nul", "True", "[1,,2]", "1 2",
    ])
    func syntaxErrors(_ text: String) {
        #expect(errorKind(text) != nil)
    }

    @Test func byteOrderMarkIsRefused() {
        #expect(errorKind([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == .unexpectedByte(0xEF))
    }

    @Test func trailingContent() {
        #expect(errorKind("{} x") == .trailingContent)
        #expect(errorKind("1 1") == .trailingContent)
    }

    @Test func errorsCarryTheirOffset() throws {
        let failure = try #require(read(#"{"a":1,"a":2}"#).failure)
        #expect(failure.offset == 7)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
