import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayServer
import RingwayWebSocket
import Testing

/// A signed client envelope.
func clientEnvelope(
    _ type: EnvelopeType, from: String = "alice", to: String? = "hub", key: Ed25519PrivateKey, timestamp: Int64,
    payload: JSONObject = JSONObject(), id: WireUUID = WireUUID.v7(unixMilliseconds: 1_700_000_000_000)
) -> [UInt8] {
    Envelope(
        messageID: id, type: type, fromEntity: EntityID(from)!, toEntity: to.map { Recipient($0)! }, timestamp: timestamp,
        payload: payload
    ).signed(with: key).encoded()
}

let helloPayload: JSONObject = ["protocol_versions": ["1.2"], "capabilities": .object(JSONObject())]

/// Decodes a server envelope the machine produced and checks its signature.
func serverEnvelope(_ bytes: [UInt8], key: Ed25519PublicKey) throws -> Envelope {
    try bytes.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: key) }
}

struct PeerSessionStateMachineTests {
    let clientKey = Ed25519PrivateKey()
    let serverKey = Ed25519PrivateKey()
    let start: Int64 = 1_700_000_000_000
    var settings = PeerSessionSettings(helloTimeoutMilliseconds: 10_000, heartbeatIntervalSeconds: 30, replayWindowSeconds: 300)

    func machine(settings: PeerSessionSettings? = nil, tokenExpiresAt: Int64 = 1_800_000_000) -> PeerSessionStateMachine {
        PeerSessionStateMachine(
            entityID: EntityID("alice")!, entityKey: clientKey.publicKey, tokenExpiresAt: tokenExpiresAt,
            serverEntityID: EntityID("hub")!, serverKey: serverKey, sessionID: "s-1", settings: settings ?? self.settings,
            now: start)
    }

    func feed(_ machine: inout PeerSessionStateMachine, _ bytes: [UInt8], now: Int64) -> PeerSessionStateMachine.Action {
        bytes.withUnsafeBytes { machine.receivedText($0, now: now) }
    }

    func ready() -> PeerSessionStateMachine {
        var session = machine()
        let hello = clientEnvelope(.hello, key: clientKey, timestamp: start / 1000, payload: helloPayload, id: WireUUID.v7(unixMilliseconds: 1))
        guard case .ready = feed(&session, hello, now: start) else { Issue.record("no READY"); return session }
        return session
    }

    func errorCode(_ bytes: [UInt8]?) throws -> (WireErrorCode, WireUUID?) {
        let envelope = try serverEnvelope(try #require(bytes), key: serverKey.publicKey)
        #expect(envelope.type == .error)
        let payload = try ErrorPayload(json: envelope.payload)
        return (payload.code, payload.ref)
    }

    @Test func helloGetsSignedReady() throws {
        var session = machine()
        let hello = clientEnvelope(.hello, key: clientKey, timestamp: start / 1000, payload: helloPayload)
        guard case .ready(let bytes) = feed(&session, hello, now: start) else { Issue.record("expected READY"); return }
        let envelope = try serverEnvelope(bytes, key: serverKey.publicKey)
        #expect(envelope.type == .ready)
        #expect(envelope.fromEntity.rawValue == "hub")
        #expect(envelope.toEntity == .entity(EntityID("alice")!))
        let payload = try ReadyPayload(json: envelope.payload)
        #expect(payload == ReadyPayload(protocolVersion: "1.2", sessionID: "s-1", heartbeatIntervalSeconds: 30, maxMessageBytes: 65_536))
        #expect(session.phase == .ready)
    }

    @Test func helloTimeoutSendsErrorAndCloses1008() throws {
        var session = machine()
        #expect(session.nextDeadline == start + 10_000)
        #expect(session.tick(now: start + 9_999) == .none)
        guard case .close(let bytes, let code, _) = session.tick(now: start + 10_000) else { Issue.record("expected close"); return }
        #expect(code == .policyViolation)
        _ = try errorCode(bytes)
        #expect(session.phase == .closed)
    }

    @Test(arguments: [EnvelopeType.message, .heartbeat, .ack, .bye])
    func wrongFirstMessageCloses1008(type: EnvelopeType) throws {
        var session = machine()
        let first = clientEnvelope(type, key: clientKey, timestamp: start / 1000)
        guard case .close(let bytes, let code, _) = feed(&session, first, now: start) else { Issue.record("expected close"); return }
        #expect(code == .policyViolation)
        #expect(try errorCode(bytes).0 == .malformed)
    }

    @Test func garbageBeforeHelloCloses1008() throws {
        var session = machine()
        guard case .close(let bytes, let code, _) = feed(&session, Array("not json".utf8), now: start) else { Issue.record("expected close"); return }
        #expect(code == .policyViolation)
        #expect(try errorCode(bytes) == (.malformed, nil))
    }

    @Test func versionMismatchIsProtocolVersionAndClose1008() throws {
        var session = machine()
        let hello = clientEnvelope(.hello, key: clientKey, timestamp: start / 1000, payload: ["protocol_versions": ["1.1", "2.0"]])
        guard case .close(let bytes, let code, _) = feed(&session, hello, now: start) else { Issue.record("expected close"); return }
        #expect(code == .policyViolation)
        #expect(try errorCode(bytes).0 == .protocolVersion)
    }

    @Test func badSignatureOnHelloCloses() throws {
        var session = machine()
        let hello = clientEnvelope(.hello, key: Ed25519PrivateKey(), timestamp: start / 1000, payload: helloPayload)
        guard case .close(let bytes, .policyViolation, _) = feed(&session, hello, now: start) else { Issue.record("expected close"); return }
        #expect(try errorCode(bytes).0 == .invalidSignature)
    }

    @Test func heartbeatIsAnsweredAndSilenceCloses() throws {
        var session = ready()
        let heartbeat = clientEnvelope(.heartbeat, key: clientKey, timestamp: start / 1000)
        guard case .send(let bytes) = feed(&session, heartbeat, now: start + 5_000) else { Issue.record("expected HEARTBEAT"); return }
        #expect(try serverEnvelope(bytes, key: serverKey.publicKey).type == .heartbeat)
        #expect(session.nextDeadline == start + 5_000 + 90_000)
        #expect(session.tick(now: start + 94_999) == .none)
        #expect(session.tick(now: start + 95_000) == .close(nil, code: .policyViolation, reason: "heartbeat timeout"))
    }

    @Test func pingKeepsTheSessionAlive() {
        var session = ready()
        session.noteActivity(now: start + 80_000)
        #expect(session.tick(now: start + 100_000) == .none)
    }

    @Test func messageIsRoutedAfterChecks() {
        var session = ready()
        let id = WireUUID.v7(unixMilliseconds: 42)
        let message = clientEnvelope(.message, to: "bob", key: clientKey, timestamp: start / 1000, payload: ["n": 1], id: id)
        #expect(feed(&session, message, now: start) == .routeMessage(recipient: .entity(EntityID("bob")!), messageID: id))
    }

    @Test func replayWindowRefusesOldAndFutureTimestamps() throws {
        var session = ready()
        for offset in [-301, 301] as [Int64] {
            let message = clientEnvelope(.message, to: "bob", key: clientKey, timestamp: start / 1000 + offset, id: WireUUID.v7(unixMilliseconds: UInt64(1000 + offset)))
            guard case .send(let bytes) = feed(&session, message, now: start) else { Issue.record("expected ERROR"); continue }
            #expect(try errorCode(bytes).0 == .replay)
        }
        let edge = clientEnvelope(.message, to: "bob", key: clientKey, timestamp: start / 1000 - 300, id: WireUUID.v7(unixMilliseconds: 7))
        guard case .routeMessage = feed(&session, edge, now: start) else { Issue.record("the window's edge is inside"); return }
    }

    @Test func duplicateMessageIDIsReplayAndRecordedOnlyAfterTheSignature() throws {
        var session = ready()
        let id = WireUUID.v7(unixMilliseconds: 99)
        let forged = clientEnvelope(.message, to: "bob", key: Ed25519PrivateKey(), timestamp: start / 1000, id: id)
        guard case .send(let first) = feed(&session, forged, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(first) == (.invalidSignature, id))
        let genuine = clientEnvelope(.message, to: "bob", key: clientKey, timestamp: start / 1000, id: id)
        #expect(feed(&session, genuine, now: start) == .routeMessage(recipient: .entity(EntityID("bob")!), messageID: id))
        guard case .send(let again) = feed(&session, genuine, now: start + 1) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(again) == (.replay, id))
    }

    @Test func replayMemoryIsBounded() {
        var memory = ReplayGuard(windowSeconds: 300, capacity: 3)
        let ids = (0..<5).map { WireUUID.v7(unixMilliseconds: UInt64($0)) }
        for id in ids { memory.record(id, timestamp: 1_000, now: 1_000) }
        #expect(memory.count == 3)
        #expect(!memory.hasSeen(ids[0]))
        #expect(memory.hasSeen(ids[4]))
        // Entries that left the window go first.
        memory.record(WireUUID.v7(unixMilliseconds: 9), timestamp: 2_000, now: 2_000)
        #expect(memory.count == 1)
    }

    @Test func fromEntityOtherThanTheAuthenticatedOneIsForbidden() throws {
        var session = ready()
        let message = clientEnvelope(.message, from: "mallory", to: "bob", key: clientKey, timestamp: start / 1000)
        guard case .send(let bytes) = feed(&session, message, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(bytes).0 == .forbidden)
    }

    @Test func binaryFrameIsMalformedAndKeepsTheSession() throws {
        var session = ready()
        guard case .send(let bytes) = session.receivedBinary(now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(bytes) == (.malformed, nil))
        #expect(session.phase == .ready)
    }

    @Test func unknownTypeAndServerTypes() throws {
        var session = ready()
        let ready = clientEnvelope(.ready, key: clientKey, timestamp: start / 1000)
        guard case .send(let bytes) = feed(&session, ready, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(bytes).0 == .unsupportedType)
        let unknown = Array(#"{"type":"SHOUT","message_id":"0190b1a5-6d3c-7a4e-9b2f-0123456789ab"}"#.utf8)
        guard case .send(let other) = feed(&session, unknown, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(other).0 == .unsupportedType)
    }

    @Test func oversizedEnvelopeCloses1009() {
        var small = settings
        small.maxMessageBytes = 64
        var session = machine(settings: small)
        let big = clientEnvelope(.hello, key: clientKey, timestamp: start / 1000, payload: helloPayload)
        #expect(feed(&session, big, now: start) == .close(nil, code: .messageTooBig, reason: "message too big"))
    }

    @Test func byeClosesNormally() {
        var session = ready()
        let bye = clientEnvelope(.bye, key: clientKey, timestamp: start / 1000)
        #expect(feed(&session, bye, now: start) == .close(nil, code: .normalClosure, reason: ""))
    }

    @Test func recipientAckNamesTheOriginalSenderAndItsOwnId() throws {
        var session = ready()
        let original = WireUUID.v7(unixMilliseconds: 5)
        let ackID = WireUUID.v7(unixMilliseconds: 11)
        let ackPayload = AckPayload(ackID: original, status: .received).json
        let ack = clientEnvelope(.ack, to: "bob", key: clientKey, timestamp: start / 1000, payload: ackPayload, id: ackID)
        // Whether `original` is held for this entity is the hub's to decide (PeerSessionTests).
        #expect(feed(&session, ack, now: start) == .routeAck(recipient: EntityID("bob")!, messageID: original, ref: ackID))
        let delivered = AckPayload(ackID: original, status: .delivered).json
        let wrongStatus = clientEnvelope(.ack, to: "bob", key: clientKey, timestamp: start / 1000, payload: delivered, id: WireUUID.v7(unixMilliseconds: 12))
        guard case .send(let refused) = feed(&session, wrongStatus, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(refused).0 == .malformed)
    }

    @Test func broadcastIsRoutedToTheEventsStream() {
        var session = ready()
        let id = WireUUID.v7(unixMilliseconds: 20)
        let message = clientEnvelope(.message, to: "*", key: clientKey, timestamp: start / 1000, id: id)
        #expect(feed(&session, message, now: start) == .routeMessage(recipient: .broadcast, messageID: id))
    }

    @Test func tokenExpiryClosesWithTokenExpired() throws {
        var session = machine(tokenExpiresAt: start / 1000 + 5)
        #expect(session.nextDeadline == start + 5_000)
        guard case .close(let bytes, .policyViolation, _) = session.tick(now: start + 5_000) else { Issue.record("expected close"); return }
        #expect(try errorCode(bytes).0 == .tokenExpired)
    }

    /// A session past HELLO/READY with `verify_signatures` = `mode`.
    func ready(verifying mode: SignatureVerification) -> PeerSessionStateMachine {
        var modeSettings = settings
        modeSettings.verifySignatures = mode
        var session = machine(settings: modeSettings)
        let hello = clientEnvelope(.hello, key: clientKey, timestamp: start / 1000, payload: helloPayload, id: WireUUID.v7(unixMilliseconds: 1))
        guard case .ready = feed(&session, hello, now: start) else { Issue.record("no READY"); return session }
        return session
    }

    @Test func forgedMessageIsInvalidSignatureWhenEveryEnvelopeIsVerified() throws {
        var session = ready(verifying: .all)
        let id = WireUUID.v7(unixMilliseconds: 42)
        let forged = clientEnvelope(.message, to: "bob", key: Ed25519PrivateKey(), timestamp: start / 1000, id: id)
        guard case .send(let bytes) = feed(&session, forged, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(bytes) == (.invalidSignature, id))
        #expect(session.phase == .ready)
    }

    @Test func forgedMessageIsRoutedWhenOnlyHelloIsVerified() throws {
        var session = ready(verifying: .hello)
        let id = WireUUID.v7(unixMilliseconds: 42)
        let forged = clientEnvelope(.message, to: "bob", key: Ed25519PrivateKey(), timestamp: start / 1000, id: id)
        #expect(feed(&session, forged, now: start) == .routeMessage(recipient: .entity(EntityID("bob")!), messageID: id))
        // The other checks still apply: the same id again is a replay, a malformed one is refused.
        guard case .send(let replay) = feed(&session, forged, now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(replay).0 == .replay)
        var unsigned = Envelope(
            messageID: WireUUID.v7(unixMilliseconds: 43), type: .message, fromEntity: EntityID("alice")!,
            toEntity: .entity(EntityID("bob")!), timestamp: start / 1000, payload: JSONObject())
        unsigned.signature = nil
        guard case .send(let missing) = feed(&session, unsigned.encoded(), now: start) else { Issue.record("expected ERROR"); return }
        #expect(try errorCode(missing).0 == .malformed)
    }

    @Test(arguments: [SignatureVerification.all, .hello])
    func forgedHelloIsRefusedInEitherMode(mode: SignatureVerification) throws {
        var modeSettings = settings
        modeSettings.verifySignatures = mode
        var session = machine(settings: modeSettings)
        let hello = clientEnvelope(.hello, key: Ed25519PrivateKey(), timestamp: start / 1000, payload: helloPayload)
        guard case .close(let bytes, .policyViolation, _) = feed(&session, hello, now: start) else { Issue.record("expected close"); return }
        #expect(try errorCode(bytes).0 == .invalidSignature)
        #expect(session.phase == .closed)
    }

    @Test func settingsComeFromTheConfiguration() throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_QUEUE_MAX": "5", "RINGWAY_HELLO_TIMEOUT_S": "3", "RINGWAY_HEARTBEAT_INTERVAL_S": "7",
            "RINGWAY_MAX_MESSAGE_BYTES": "4096", "RINGWAY_REPLAY_WINDOW_S": "60", "RINGWAY_VERIFY_SIGNATURES": "hello",
        ])
        let settings = PeerSessionSettings(configuration: configuration)
        #expect(settings.queueMax == 5)
        #expect(settings.helloTimeoutMilliseconds == 3_000)
        #expect(settings.heartbeatIntervalSeconds == 7)
        #expect(settings.maxMessageBytes == 4_096)
        #expect(settings.replayWindowSeconds == 60)
        #expect(settings.verifySignatures == .hello)
        #expect(PeerSessionSettings(configuration: ServerConfiguration()).verifySignatures == .all)
        #expect(PeerSessionSettings(configuration: ServerConfiguration()).helloTimeoutMilliseconds == 10_000)
        #expect(ServerConfiguration.loadErrorLine(["RINGWAY_QUEUE_MAX": "0"])?.contains("RINGWAY_QUEUE_MAX") == true)
    }
}

extension ServerConfiguration {
    static func loadErrorLine(_ environment: [String: String]) -> String? {
        do {
            _ = try load(file: nil, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }
}
