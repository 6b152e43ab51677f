import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import Testing

@Suite("Envelope decoding: accepted")
struct EnvelopeAcceptTests {
    @Test func sampleMessage() throws {
        let envelope = try decodeBoth(sampleSigned).get()
        #expect(envelope.messageID == WireUUID(sampleID))
        #expect(envelope.type == .message)
        #expect(envelope.fromEntity == EntityID("alice"))
        #expect(envelope.toEntity == .entity(EntityID("bob")!))
        #expect(envelope.timestamp == 1_700_000_000)
        #expect(envelope.payload == ["text": "hello", "n": 1])
        #expect(envelope.signature?.hasPrefix("yskJ") == true)
    }

    @Test(arguments: EnvelopeType.allCases)
    func everyType(_ type: EnvelopeType) throws {
        let envelope = try decodeBoth(document(type: "\"\(type.rawValue)\"")).get()
        #expect(envelope.type == type)
    }

    @Test func nullAndBroadcastRecipients() throws {
        #expect(try decodeBoth(document(to: "null")).get().toEntity == nil)
        #expect(try decodeBoth(document(to: #""*""#)).get().toEntity == .broadcast)
    }

    @Test func entityIDBoundaries() throws {
        let longest = String(repeating: "a", count: 64)
        #expect(try decodeBoth(document(from: "\"\(longest)\"")).get().fromEntity.rawValue == longest)
        #expect(try decodeBoth(document(from: #""A.b_c-9""#)).get().fromEntity.rawValue == "A.b_c-9")
        let long = "agent-with-a-rather-long-identifier.example"
        #expect(try decodeBoth(document(to: "\"\(long)\"")).get().toEntity == .entity(EntityID(long)!))
    }

    @Test func timestampIsJudgedByValue() throws {
        #expect(try decodeBoth(document(timestamp: "1.7e9")).get().timestamp == 1_700_000_000)
        #expect(try decodeBoth(document(timestamp: "1700000000.0")).get().timestamp == 1_700_000_000)
        #expect(try decodeBoth(document(timestamp: "-1")).get().timestamp == -1)
        #expect(try decodeBoth(document(timestamp: "9007199254740991")).get().timestamp == 9_007_199_254_740_991)
    }

    @Test func uppercaseMessageIDIsTheSameID() throws {
        let envelope = try decodeBoth(document(messageID: #""0190B1A5-6D3C-7A4E-9B2F-0123456789AB""#)).get()
        #expect(envelope.messageID == WireUUID(sampleID))
    }

    @Test func escapedMembersAreReadAfterUnescaping() throws {
        let text = #"{"message_\u0069d":"0190b1a5-6d3c-7a4e-9b2f-0123456789ab","type":"\u004dESSAGE","#
            + #""from_entity":"\u0061lice","to_entity":"b\u006fb","timestamp":1700000000,"payload":{},"signature":"\u0063"}"#
        let envelope = try decodeBoth(text).get()
        #expect(envelope.type == .message)
        #expect(envelope.fromEntity.rawValue == "alice")
        #expect(envelope.toEntity?.rawValue == "bob")
        #expect(envelope.signature == "c")
    }

    @Test func unsignedEnvelopesWhenAllowed() throws {
        let unsigned = Array(document(signature: nil).utf8)
        #expect(try EnvelopeDecoder(requiresSignature: false).decode(unsigned).signature == nil)
        #expect(try EnvelopeScanner(requiresSignature: false).scan(unsigned).signatureRange == nil)
    }
}

@Suite("Envelope decoding: refused")
struct EnvelopeRejectTests {
    @Test func oversizeIsTooLarge() throws {
        let limits = EnvelopeLimits(maxEnvelopeBytes: 200)
        let padded = document(payload: #"{"p":""# + String(repeating: "x", count: 200) + #""}"#)
        #expect(refusal(padded, limits: limits)?.code == .tooLarge)
        #expect(refusal(padded, limits: limits)?.reason == .tooLarge)
        #expect(refusal(document(), limits: limits) == nil)
        #expect(refusal(padded)?.code == nil)
    }

    @Test func jsonLimitsAreTooLarge() {
        let deep = document(payload: String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40))
        #expect(refusal(deep)?.code == .tooLarge)
    }

    @Test(arguments: [
        document(extra: #""type":"HELLO""#),
        document(payload: #"{"a":1,"a":2}"#),
        document(payload: #"{"a":{"b":1,"\u0062":2}}"#),
        document(payload: #"{"n":NaN}"#),
        document(payload: #"{"n":Infinity}"#),
        document(payload: #"{"s":"\ud800"}"#),
        document(payload: #"{"s":"\udc00x"}"#),
        document(timestamp: "1e400"),
        "", "[]", "null", "\"MESSAGE\"", "{", document() + "x",
    ])
    func invalidJSONIsMalformed(_ text: String) {
        #expect(refusal(text)?.code == .malformed)
    }

    @Test func invalidUTF8IsMalformed() {
        var bytes = Array(document(payload: #"{"s":"ab"}"#).utf8)
        let position = bytes.firstIndex(of: UInt8(ascii: "b"))!
        bytes[position] = 0xC3
        #expect(refusal(bytes)?.code == .malformed)
        #expect(refusal(bytes)?.reason == .json(JSONError(.invalidUTF8, at: position)))
    }

    @Test(arguments: [#""PING""#, #""message""#, #""Message""#, #""MESSAGE ""#, #""AC\u212A""#, #""""#])
    func unknownTypeIsUnsupported(_ type: String) {
        #expect(refusal(document(type: type))?.code == .unsupportedType)
    }

    @Test(arguments: ["1", "null", "true", #"["MESSAGE"]"#, #"{"t":"MESSAGE"}"#])
    func nonStringTypeIsMalformed(_ type: String) {
        #expect(refusal(document(type: type))?.reason == .wrongMemberType(.type))
    }

    @Test func typeIsCheckedBeforeShape() {
        // Unknown type and a bad shape: the type decides (check order: size, JSON, type, shape).
        #expect(refusal(document(type: #""PING""#, from: "5", extra: #""x":1"#))?.code == .unsupportedType)
        #expect(refusal(document(type: nil, extra: #""x":1"#))?.reason == .missingMember(.type))
    }

    @Test(arguments: [EnvelopeField.messageID, .fromEntity, .toEntity, .timestamp, .payload, .signature])
    func missingMembersAreMalformed(_ field: EnvelopeField) {
        let text: String
        switch field {
        case .messageID: text = document(messageID: nil)
        case .fromEntity: text = document(from: nil)
        case .toEntity: text = document(to: nil)
        case .timestamp: text = document(timestamp: nil)
        case .payload: text = document(payload: nil)
        case .signature: text = document(signature: nil)
        case .type: text = document(type: nil)
        }
        #expect(refusal(text)?.reason == .missingMember(field))
        #expect(refusal(text)?.code == .malformed)
    }

    @Test func extraMembersAreMalformed() {
        #expect(refusal(document(extra: #""priority":1"#))?.reason == .unknownMember("priority"))
        #expect(refusal(document(extra: #""Type":"MESSAGE""#))?.code == .malformed)
    }

    @Test(arguments: ["[]", #""text""#, "null", "1", "true"])
    func nonObjectPayloadIsMalformed(_ payload: String) {
        #expect(refusal(document(payload: payload))?.reason == .wrongMemberType(.payload))
    }

    @Test(arguments: [#""""#, #""has space""#, #""*""#, #""ali/ce""#, #""ålice""#, #""a:b""#,
                      "\"" + String(repeating: "a", count: 65) + "\""])
    func invalidSenderIsMalformed(_ from: String) {
        #expect(refusal(document(from: from))?.reason == .invalidEntityID(.fromEntity))
    }

    @Test(arguments: [#""""#, #""**""#, #""bob*""#, #""b o b""#, "\"" + String(repeating: "b", count: 65) + "\""])
    func invalidRecipientIsMalformed(_ to: String) {
        #expect(refusal(document(to: to))?.reason == .invalidEntityID(.toEntity))
    }

    @Test(arguments: ["1", "[]", "{}", "true"])
    func wrongRecipientTypeIsMalformed(_ to: String) {
        #expect(refusal(document(to: to))?.reason == .wrongMemberType(.toEntity))
    }

    @Test(arguments: [#""0190b1a56d3c7a4e9b2f0123456789ab""#, #""{0190b1a5-6d3c-7a4e-9b2f-0123456789ab}""#,
                      #""0190b1a5-6d3c-7a4e-9b2f-0123456789a""#, #""not-a-uuid""#, #""""#])
    func badMessageIDIsMalformed(_ id: String) {
        #expect(refusal(document(messageID: id))?.reason == .invalidMessageID)
    }

    @Test(arguments: ["1", "null", "{}"])
    func nonStringMessageIDIsMalformed(_ id: String) {
        #expect(refusal(document(messageID: id))?.reason == .wrongMemberType(.messageID))
    }

    @Test(arguments: ["1700000000.5", "9007199254740992", "-9007199254740992", "1e300", "0.1"])
    func nonIntegerTimestampIsMalformed(_ timestamp: String) {
        #expect(refusal(document(timestamp: timestamp))?.reason == .invalidTimestamp)
    }

    @Test(arguments: [#""1700000000""#, "null", "true", "[1700000000]"])
    func nonNumberTimestampIsMalformed(_ timestamp: String) {
        #expect(refusal(document(timestamp: timestamp))?.reason == .wrongMemberType(.timestamp))
    }

    @Test(arguments: ["null", "1", "{}", "[]"])
    func nonStringSignatureIsMalformed(_ signature: String) {
        #expect(refusal(document(signature: signature))?.reason == .wrongMemberType(.signature))
    }

    @Test func errorsExplainWithoutEchoingValues() throws {
        let error = try #require(refusal(document(extra: #""secret-token-abc":1"#)))
        #expect(!error.message.contains("secret"))
        #expect(error.description.hasPrefix("MALFORMED: "))
    }
}

@Suite("Envelope fast path")
struct EnvelopeScannerTests {
    @Test func routingHeaderAndRanges() throws {
        let bytes = Array(sampleSigned.utf8)
        let header = try EnvelopeScanner().scan(bytes)
        #expect(header.type == .message)
        #expect(header.messageID.description == sampleID)
        #expect(header.fromEntity.rawValue == "alice")
        #expect(header.toEntity == .entity(EntityID("bob")!))
        #expect(header.timestamp == 1_700_000_000)
        let signatureRange = try #require(header.signatureRange)
        #expect(String(decoding: bytes[signatureRange], as: UTF8.self).hasPrefix("yskJYGe9"))
        #expect(bytes[signatureRange.lowerBound - 1] == UInt8(ascii: "\""))
        #expect(bytes[signatureRange.upperBound] == UInt8(ascii: "\""))
        #expect(String(decoding: bytes[header.payloadRange], as: UTF8.self) == #"{"text":"hello","n":1}"#)
        bytes.withUnsafeBytes { #expect(header.signatureText(in: $0) == String(decoding: bytes[signatureRange], as: UTF8.self)) }
    }

    @Test func duplicatesDeepInThePayloadAreStillRefused() {
        let nested = document(payload: #"{"a":[{"b":{"c":1,"d":2,"c":3}}]}"#)
        let bytes = Array(nested.utf8)
        let needle = Array(#""c":3"#.utf8)
        let offset = (0...(bytes.count - needle.count)).last { Array(bytes[$0..<($0 + needle.count)]) == needle }
        #expect(refusal(nested)?.reason == .json(JSONError(.duplicateMember, at: offset ?? -1)))
    }
}
