import RingwayJSON
import Testing

@Suite("JSON reader: limits")
struct JSONLimitsTests {
    @Test func documentBytes() {
        let limits = JSONLimits(maxDocumentBytes: 10)
        #expect(errorKind("[1,2,3,45]", limits: limits) == nil)
        #expect(errorKind("[1,2,3,456]", limits: limits) == .limitExceeded(.documentBytes))
    }

    @Test func nestingDepth() {
        let limits = JSONLimits(maxNestingDepth: 3)
        #expect(errorKind("[[[1]]]", limits: limits) == nil)
        #expect(errorKind(#"{"a":{"b":[]}}"#, limits: limits) == nil)
        #expect(errorKind("[[[[1]]]]", limits: limits) == .limitExceeded(.nestingDepth))
        #expect(errorKind(#"{"a":{"b":[{}]}}"#, limits: limits) == .limitExceeded(.nestingDepth))
        #expect(errorKind("1", limits: JSONLimits(maxNestingDepth: 0)) == nil)
        #expect(errorKind("{}", limits: JSONLimits(maxNestingDepth: 0)) == .limitExceeded(.nestingDepth))
    }

    @Test func deepNestingIsRefusedByDefault() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(errorKind(deep) == .limitExceeded(.nestingDepth))
    }

    @Test func stringBytesCountRawEncodedBytes() {
        let limits = JSONLimits(maxStringBytes: 4)
        #expect(errorKind(#""abcd""#, limits: limits) == nil)
        #expect(errorKind(#""abcde""#, limits: limits) == .limitExceeded(.stringBytes))
        #expect(errorKind(#""\u0041""#, limits: limits) == .limitExceeded(.stringBytes))
        #expect(errorKind(#"{"abcde":1}"#, limits: limits) == .limitExceeded(.stringBytes))
        let long = JSONLimits(maxStringBytes: 20)
        #expect(errorKind("\"" + String(repeating: "a", count: 20) + "\"", limits: long) == nil)
        #expect(errorKind("\"" + String(repeating: "a", count: 21) + "\"", limits: long) == .limitExceeded(.stringBytes))
    }

    @Test func numberLength() {
        let limits = JSONLimits(maxNumberLength: 5)
        #expect(errorKind("-1.5e3", limits: JSONLimits(maxNumberLength: 6)) == nil)
        #expect(errorKind("-1.5e3", limits: limits) == .limitExceeded(.numberLength))
    }

    @Test func objectMembers() {
        let limits = JSONLimits(maxObjectMembers: 2)
        #expect(errorKind(#"{"a":1,"b":2}"#, limits: limits) == nil)
        #expect(errorKind(#"{"a":1,"b":2,"c":3}"#, limits: limits) == .limitExceeded(.objectMembers))
        #expect(errorKind(#"[{"a":1,"b":2,"c":3}]"#, limits: limits) == .limitExceeded(.objectMembers))
    }

    @Test func arrayElements() {
        let limits = JSONLimits(maxArrayElements: 3)
        #expect(errorKind("[1,2,3]", limits: limits) == nil)
        #expect(errorKind("[1,2,3,4]", limits: limits) == .limitExceeded(.arrayElements))
        #expect(errorKind(#"{"a":[[1,2,3,4]]}"#, limits: limits) == .limitExceeded(.arrayElements))
    }

    @Test func limitErrorsSaySo() throws {
        let failure = try #require(read("[1,2,3,4]", limits: JSONLimits(maxArrayElements: 3)).failure)
        #expect(failure.isLimitExceeded)
        let syntax = try #require(read("[1,]").failure)
        #expect(!syntax.isLimitExceeded)
    }
}
