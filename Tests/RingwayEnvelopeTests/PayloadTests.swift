import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import Testing

@Suite("Typed payloads")
struct PayloadTests {
    @Test func hello() throws {
        let payload = try HelloPayload(json: ["protocol_versions": ["1.1", "1.2"], "capabilities": ["compression": false]])
        #expect(payload.protocolVersions == ["1.1", "1.2"])
        #expect(payload.capabilities["compression"] == false)
        #expect(payload.negotiate(supported: ["1.2", "1.1"]) == "1.2")
        #expect(payload.negotiate(supported: ["2.0"]) == nil)
        #expect(try HelloPayload(json: payload.json) == payload)
        #expect(try HelloPayload(json: ["protocol_versions": ["1.2"]]).capabilities.isEmpty)
    }

    @Test(arguments: [
        [:], ["protocol_versions": "1.2"], ["protocol_versions": []], ["protocol_versions": [1.2]],
        ["protocol_versions": ["1.2"], "capabilities": []],
        ["protocol_versions": .array(Array(repeating: "1.2", count: 17))],
        ["protocol_versions": [.string(String(repeating: "9", count: 17))]],
    ] as [JSONObject])
    func badHello(_ json: JSONObject) {
        let error = #expect(throws: EnvelopeError.self) { try HelloPayload(json: json) }
        #expect(error?.code == .malformed)
    }

    @Test func ready() throws {
        let payload = ReadyPayload(protocolVersion: "1.2", sessionID: "s-1", heartbeatIntervalSeconds: 30, maxMessageBytes: 65_536)
        #expect(payload.json == ["protocol": "1.2", "session_id": "s-1", "heartbeat_interval_s": 30, "max_message_bytes": 65_536])
        #expect(try ReadyPayload(json: payload.json) == payload)
        #expect(throws: EnvelopeError.self) { try ReadyPayload(json: ["protocol": "1.2"]) }
    }

    @Test func ack() throws {
        let id = WireUUID(sampleID)!
        let payload = AckPayload(ackID: id, status: .queued)
        #expect(payload.json == ["ack_id": .string(sampleID), "status": "queued"])
        #expect(try AckPayload(json: payload.json) == payload)
        for status in AckStatus.allCases {
            #expect(try AckPayload(json: ["ack_id": .string(sampleID), "status": .string(status.rawValue)]).status == status)
        }
        #expect(throws: EnvelopeError.self) { try AckPayload(json: ["ack_id": "nope", "status": "queued"]) }
        #expect(throws: EnvelopeError.self) { try AckPayload(json: ["ack_id": .string(sampleID), "status": "Queued"]) }
    }

    @Test func error() throws {
        let payload = ErrorPayload(code: .replay, message: "seen", ref: WireUUID(sampleID))
        #expect(payload.json == ["code": "REPLAY", "message": "seen", "ref": .string(sampleID)])
        #expect(try ErrorPayload(json: payload.json) == payload)
        let noRef = ErrorPayload(code: .malformed, message: "bad")
        #expect(noRef.json["ref"] == .null)
        #expect(try ErrorPayload(json: noRef.json) == noRef)
        #expect(throws: EnvelopeError.self) { try ErrorPayload(json: ["code": "NOPE", "message": "x", "ref": nil]) }
        #expect(throws: EnvelopeError.self) { try ErrorPayload(json: ["code": "REPLAY", "message": "x", "ref": 5]) }
        let fromDecodeError = ErrorPayload(EnvelopeError(.unsupportedType("PING")))
        #expect(fromDecodeError.code == .unsupportedType)
        #expect(fromDecodeError.ref == nil)
    }
}

@Suite("Error codes")
struct WireErrorCodeTests {
    @Test(arguments: [
        (WireErrorCode.malformed, 400), (.unsupportedType, 400), (.invalidSignature, 400), (.authFailed, 401),
        (.tokenExpired, 401), (.forbidden, 403), (.unknownRecipient, 404), (.replay, 409), (.keyMismatch, 409),
        (.tooLarge, 413), (.rateLimited, 429), (.queueFull, 503), (.internalError, 500), (.protocolVersion, 400),
    ])
    func httpStatuses(_ code: WireErrorCode, _ status: Int) {
        #expect(code.httpStatus == status)
    }

    @Test func rawValuesAreTheContractNames() {
        #expect(WireErrorCode.allCases.map(\.rawValue).sorted() == [
            "AUTH_FAILED", "FORBIDDEN", "INTERNAL", "INVALID_SIGNATURE", "KEY_MISMATCH", "MALFORMED",
            "PROTOCOL_VERSION", "QUEUE_FULL", "RATE_LIMITED", "REPLAY", "TOKEN_EXPIRED", "TOO_LARGE",
            "UNKNOWN_RECIPIENT", "UNSUPPORTED_TYPE",
        ])
    }

    @Test func sessionEffects() {
        for code in [WireErrorCode.malformed, .unsupportedType, .invalidSignature, .forbidden, .unknownRecipient,
                     .rateLimited, .replay, .queueFull] {
            #expect(code.closeCodeAfterReady == nil)
        }
        #expect(WireErrorCode.tokenExpired.closeCodeAfterReady == 1008)
        #expect(WireErrorCode.internalError.closeCodeAfterReady == 1011)
        #expect(WireErrorCode.protocolVersion.closeCodeAfterReady == 1008)
    }

    @Test func jwtErrorsMapToAuthCodes() {
        #expect(WireErrorCode(JWTError.expired) == .tokenExpired)
        for error in [JWTError.malformed, .unsupportedAlgorithm, .unsupportedHeader, .unknownKey, .invalidSignature,
                      .invalidClaims, .wrongIssuer, .notYetValid, .issuedInFuture] {
            #expect(WireErrorCode(error) == .authFailed)
        }
    }

    @Test func httpErrorBody() throws {
        let body = HTTPErrorBody(code: .rateLimited, message: "slow \"down\"")
        #expect(String(decoding: body.encode(), as: UTF8.self) == #"{"error":{"code":"RATE_LIMITED","message":"slow \"down\""}}"#)
        #expect(body.encode().withUnsafeBytes { HTTPErrorBody(decoding: $0) } == body)
        #expect(Array(#"{"error":{"code":"NOPE","message":"x"}}"#.utf8).withUnsafeBytes { HTTPErrorBody(decoding: $0) } == nil)
    }

    @Test func envelopeErrorCodes() {
        #expect(EnvelopeError(.tooLarge).code == .tooLarge)
        #expect(EnvelopeError(.json(JSONError(.limitExceeded(.nestingDepth), at: 0))).code == .tooLarge)
        #expect(EnvelopeError(.json(JSONError(.duplicateMember, at: 0))).code == .malformed)
        #expect(EnvelopeError(.unsupportedType("X")).code == .unsupportedType)
        #expect(EnvelopeError(.invalidSignature).code == .invalidSignature)
        #expect(EnvelopeError(.invalidTimestamp).code == .malformed)
    }

    @Test func entityIDs() {
        #expect(EntityID("a") != nil)
        #expect(EntityID(String(repeating: "z", count: 64)) != nil)
        #expect(EntityID(String(repeating: "z", count: 65)) == nil)
        #expect(EntityID("") == nil)
        #expect(EntityID("*") == nil)
        #expect(EntityID("a b") == nil)
        #expect(EntityID("Alice") != EntityID("alice"))
        #expect(Recipient("*") == .broadcast)
        #expect(Recipient("bob") == .entity(EntityID("bob")!))
        #expect(Recipient("b*") == nil)
    }
}
