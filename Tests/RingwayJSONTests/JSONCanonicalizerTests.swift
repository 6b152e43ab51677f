import RingwayJSON
import Testing

@Suite("RFC 8785 canonical JSON")
struct JSONCanonicalizerTests {
    /// RFC 8785 section 3.2.2 (with the number and string rules of 3.2.2.2 and 3.2.2.3).
    @Test func rfcSection322Example() throws {
        let input = #"""
        {
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#
            + #""string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try canonical(input) == expected)
    }

    /// RFC 8785 section 3.2.3: member names sorted by UTF-16 code units.
    @Test func rfcSection323Sorting() throws {
        let input = #"""
        {
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }
        """#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\","
            + "\"😀\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try canonical(input) == expected)
    }

    @Test func utf16OrderDiffersFromCodePointOrder() {
        // By code point U+1F600 follows U+FB33; in UTF-16 its lead surrogate D83D sorts first.
        #expect(JSONCanonicalizer.precedes("😀", "\u{FB33}"))
        #expect(!JSONCanonicalizer.precedes("\u{FB33}", "😀"))
        #expect(JSONCanonicalizer.precedes("a", "ab"))
        #expect(JSONCanonicalizer.precedes("B", "a"))
    }

    @Test func nestedObjectsAreSortedAndArraysKeepOrder() throws {
        #expect(try canonical(#"{"b":{"z":1,"a":[3,1,2]},"a":null}"#) == #"{"a":null,"b":{"a":[3,1,2],"z":1}}"#)
    }

    @Test func whitespaceIsRemovedAndLiteralsKept() throws {
        #expect(try canonical(" [ true , false , null , \"\" , { } , [ ] ] ") == #"[true,false,null,"",{},[]]"#)
    }

    @Test func stringEscapingRules() {
        let all = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        let encoded = String(decoding: JSONCanonicalizer.canonicalize(.string(all + "\"\\/\u{7F}é")), as: UTF8.self)
        let expected = #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "\\\"\\\\/\u{7F}é\""
        #expect(encoded == expected)
    }

    @Test func canonicalizationIsIdempotent() throws {
        let once = try canonical(#"{"b":[1.0,2e0,-0,0.5e-7],"a":"\u00e9"}"#)
        #expect(once == #"{"a":"é","b":[1,2,0,5e-8]}"#)
        #expect(try canonical(once) == once)
    }

    @Test func excludingATopLevelMember() throws {
        let object = try #require(try value(#"{"signature":"x","b":{"signature":1},"a":2}"#).objectValue)
        var output: [UInt8] = []
        JSONCanonicalizer.writeObject(object, excluding: "signature", into: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"{"a":2,"b":{"signature":1}}"#)
        output.removeAll()
        JSONCanonicalizer.writeObject(object, excluding: "absent", into: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"{"a":2,"b":{"signature":1},"signature":"x"}"#)
    }

    @Test(arguments: [3, 30, 64, 65, 300])
    func wideObjectsAreSorted(_ count: Int) throws {
        let names = (0..<count).map { "k\(String($0, radix: 7))" }
        let object = JSONObject(names.reversed().map { JSONObject.Member(name: $0, value: .number(1)) })
        let expected = "{" + names.sorted { JSONCanonicalizer.precedes($0, $1) }.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
        #expect(String(decoding: JSONCanonicalizer.canonicalize(.object(object)), as: UTF8.self) == expected)
    }

    @Test func compactWriterKeepsMemberOrder() throws {
        let parsed = try value(#" { "b" : 1 , "a" : [ "x" , 2.5 ] } "#)
        #expect(String(decoding: JSONWriter.encode(parsed), as: UTF8.self) == #"{"b":1,"a":["x",2.5]}"#)
    }
}

@Suite("ECMAScript number formatting (RFC 8785 Appendix B)")
struct ES6NumberFormatterTests {
    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their expected text.
    @Test(arguments: [
        (0x0000_0000_0000_0000, "0"),
        (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
        (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"),
        (0xC340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
        (0x44B5_2D02_C7E1_4AF6, "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
        (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
        (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332"),
        (0x41B3_DE43_5555_5554, "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.3333333"),
        (0x41B3_DE43_5555_5556, "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
        (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ] as [(UInt64, String)])
    func appendixB(_ bits: UInt64, _ expected: String) {
        #expect(ES6NumberFormatter.string(Double(bitPattern: bits)) == expected)
    }

    @Test(arguments: [
        (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"),
        (0.1, "0.1"), (-0.5, "-0.5"), (123.0, "123"), (1_700_000_000, "1700000000"),
        (1.152921504606847e18, "1152921504606847000"), (4.35, "4.35"), (1e300, "1e+300"),
        (2.5e-5, "0.000025"), (1234.5678, "1234.5678"), (-9007199254740991, "-9007199254740991"),
    ] as [(Double, String)])
    func layoutRules(_ value: Double, _ expected: String) {
        #expect(ES6NumberFormatter.string(value) == expected)
    }

    @Test func formattedNumbersRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            let text = ES6NumberFormatter.string(value)
            let parsed = try #require(Double(text))
            #expect(parsed == value || (parsed == 0 && value == 0), "\(value) → \(text)")
        }
    }
}
