import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayWebSocket

/// The protocol of one `/ws/v1/peers` session, without I/O (contract: Session).
///
/// Feed it each received text message (``receivedText(_:now:)``), binary message and clock tick
/// (``tick(now:)``); it answers with one ``Action``. Times are Unix milliseconds passed in, so
/// tests drive it with any clock. The routing itself (finding the recipient, queueing) is the
/// caller's: the machine says which entity an accepted MESSAGE or ACK goes to, and builds the
/// server's signed answers (``ack(_:status:now:)``, ``error(_:_:ref:now:)``).
///
/// A MESSAGE is checked in the contract's order: size (the WebSocket layer closes with 1009),
/// JSON, type, shape, `from_entity`, signature (HELLO's only when
/// ``PeerSessionSettings/verifySignatures`` is `.hello`), replay, then the caller checks the
/// rate, the allow-list and the recipient.
/// A `from_entity` other than the authenticated entity is refused with `FORBIDDEN`: the envelope
/// is well formed, the sender is not allowed to speak for that entity.
public struct PeerSessionStateMachine: Sendable {
    /// Where the session stands.
    public enum Phase: Sendable, Hashable {
        /// Upgraded; HELLO is due before the deadline.
        case awaitingHello
        /// READY was sent.
        case ready
        /// A close was decided; nothing more is processed.
        case closed
    }

    /// What the caller does next.
    public enum Action: Sendable, Hashable {
        /// Nothing.
        case none
        /// Write this envelope as a text frame.
        case send([UInt8])
        /// Write the envelope, if any, then close with `code` and `reason`.
        case close([UInt8]?, code: WebSocketCloseCode, reason: String)
        /// Write READY, make the session reachable and deliver what is held for it.
        case ready([UInt8])
        /// Route the received MESSAGE's original bytes to `recipient`; answer the sender with
        /// ``ack(_:status:now:)`` or an ERROR about `messageID`.
        case routeMessage(recipient: Recipient, messageID: WireUUID)
        /// The entity acknowledged `messageID` from `recipient` (the original sender): if it is
        /// held for this entity, release it and route the ACK's original bytes to the sender once;
        /// otherwise answer `ERROR MALFORMED` about `ref` (the ACK's own id).
        case routeAck(recipient: EntityID, messageID: WireUUID, ref: WireUUID)
    }

    /// The authenticated entity of the session.
    public let entityID: EntityID
    /// The server's entity id (`from_entity` of what the server sends).
    public let serverEntityID: EntityID
    /// The session id announced in READY.
    public let sessionID: String
    /// The settings in force.
    public let settings: PeerSessionSettings
    /// The phase now.
    public private(set) var phase = Phase.awaitingHello
    /// The replay memory of this sender.
    public private(set) var replay: ReplayGuard

    private let entityKey: Ed25519PublicKey
    private let serverKey: Ed25519PrivateKey
    private let tokenExpiresAtMilliseconds: Int64
    private let helloDeadline: Int64
    private var lastActivity: Int64
    private let scanner: EnvelopeScanner
    private let limits: EnvelopeLimits
    private var scratch: [UInt8] = []

    /// Starts a session for `entityID` (key `entityKey`, token valid until `tokenExpiresAt`, Unix
    /// seconds) upgraded at `now`. `replay` carries what an earlier session of the same sender saw.
    public init(
        entityID: EntityID, entityKey: Ed25519PublicKey, tokenExpiresAt: Int64, serverEntityID: EntityID,
        serverKey: Ed25519PrivateKey, sessionID: String, settings: PeerSessionSettings, now: Int64,
        replay: ReplayGuard? = nil
    ) {
        self.entityID = entityID
        self.entityKey = entityKey
        self.tokenExpiresAtMilliseconds = tokenExpiresAt &* 1_000
        self.serverEntityID = serverEntityID
        self.serverKey = serverKey
        self.sessionID = sessionID
        self.settings = settings
        self.helloDeadline = now &+ settings.helloTimeoutMilliseconds
        self.lastActivity = now
        self.replay = replay ?? ReplayGuard(windowSeconds: Int64(settings.replayWindowSeconds), capacity: settings.replayMemory)
        self.limits = EnvelopeLimits(maxEnvelopeBytes: settings.maxMessageBytes)
        self.scanner = EnvelopeScanner(limits: limits)
    }

    /// When ``tick(now:)`` next has something to do; nil once closed.
    public var nextDeadline: Int64? {
        switch phase {
        case .awaitingHello: return min(helloDeadline, tokenExpiresAtMilliseconds)
        case .ready: return min(lastActivity &+ settings.silenceTimeoutMilliseconds, tokenExpiresAtMilliseconds)
        case .closed: return nil
        }
    }

    // MARK: Events

    /// Records that something arrived from the client (any frame, ping included).
    public mutating func noteActivity(now: Int64) {
        lastActivity = max(lastActivity, now)
    }

    /// Applies the timeouts: HELLO, three silent heartbeat intervals, token expiry.
    public mutating func tick(now: Int64) -> Action {
        switch phase {
        case .closed:
            return .none
        case .awaitingHello:
            if now >= helloDeadline {
                return closing(error(.malformed, "no HELLO within the allowed time", ref: nil, now: now), reason: "HELLO timeout")
            }
        case .ready:
            if now >= lastActivity &+ settings.silenceTimeoutMilliseconds {
                phase = .closed
                return .close(nil, code: .policyViolation, reason: "heartbeat timeout")
            }
        }
        if now >= tokenExpiresAtMilliseconds {
            return closing(error(.tokenExpired, "the session's token has expired", ref: nil, now: now), reason: "token expired")
        }
        return .none
    }

    /// A binary data frame: `ERROR MALFORMED` (ref null); the session stays open after READY.
    public mutating func receivedBinary(now: Int64) -> Action {
        noteActivity(now: now)
        return refuse(.malformed, "data frames must be text frames", ref: nil, now: now)
    }

    /// A text message (one envelope).
    public mutating func receivedText(_ bytes: UnsafeRawBufferPointer, now: Int64) -> Action {
        guard phase != .closed else { return .none }
        noteActivity(now: now)
        let header: RoutingHeader
        do {
            header = try scanner.scan(bytes)
        } catch {
            if error.code == .tooLarge {
                phase = .closed
                return .close(nil, code: .messageTooBig, reason: "message too big")
            }
            return refuse(error.code, error.message, ref: nil, now: now)
        }
        let ref = header.messageID
        if phase == .awaitingHello, header.type != .hello {
            return refuse(.malformed, "the first envelope must be HELLO", ref: ref, now: now)
        }
        guard header.fromEntity == entityID else {
            return refuse(.forbidden, "from_entity is not the authenticated entity", ref: ref, now: now)
        }
        let envelope: Envelope
        do {
            if header.type == .hello || settings.verifySignatures == .all {
                envelope = try EnvelopeVerifier.verify(bytes, publicKey: entityKey, limits: limits)
            } else {
                // `verify_signatures` = hello: still decoded strictly (a signature member included),
                // only the Ed25519 check is skipped.
                envelope = try EnvelopeDecoder(limits: limits).decode(bytes)
            }
        } catch {
            return refuse(error.code, error.message, ref: ref, now: now)
        }
        let seconds = now / 1_000
        guard replay.isFresh(timestamp: header.timestamp, now: seconds) else {
            return refuse(.replay, "timestamp outside the replay window", ref: ref, now: now)
        }
        guard !replay.hasSeen(ref) else {
            return refuse(.replay, "message_id already seen", ref: ref, now: now)
        }
        replay.record(ref, timestamp: header.timestamp, now: seconds)

        switch header.type {
        case .hello:
            return hello(envelope, now: now)
        case .message:
            guard let recipient = header.toEntity else {
                return refuse(.malformed, "a MESSAGE needs a to_entity", ref: ref, now: now)
            }
            return .routeMessage(recipient: recipient, messageID: ref)
        case .ack:
            let ack: AckPayload
            do {
                ack = try AckPayload(json: envelope.payload)
            } catch {
                return refuse(error.code, error.message, ref: ref, now: now)
            }
            guard ack.status == .received, case .entity(let sender)? = header.toEntity else {
                return refuse(.malformed, "a client ACK has status received and names the original sender", ref: ref, now: now)
            }
            return .routeAck(recipient: sender, messageID: ack.ackID, ref: ref)
        case .heartbeat:
            return .send(serverEnvelope(.heartbeat, payload: JSONObject(), now: now))
        case .bye:
            phase = .closed
            return .close(nil, code: .normalClosure, reason: "")
        case .ready, .error:
            return refuse(.unsupportedType, "\(header.type.rawValue) is sent by the server only", ref: ref, now: now)
        }
    }

    /// Takes over the replay memory of the session this one replaced.
    public mutating func absorbReplayMemory(_ other: ReplayGuard, now: Int64) {
        replay.absorb(other, now: now / 1_000)
    }

    /// Marks the session closed (shutdown, replacement, a failed write).
    public mutating func markClosed() {
        phase = .closed
    }

    // MARK: Server envelopes

    /// A signed `ACK {"ack_id":id,"status":status}` to the session's entity.
    public mutating func ack(_ id: WireUUID, status: AckStatus, now: Int64) -> [UInt8] {
        serverEnvelope(.ack, payload: AckPayload(ackID: id, status: status).json, now: now)
    }

    /// A signed `ERROR` to the session's entity.
    public mutating func error(_ code: WireErrorCode, _ message: String, ref: WireUUID?, now: Int64) -> [UInt8] {
        serverEnvelope(.error, payload: ErrorPayload(code: code, message: message, ref: ref).json, now: now)
    }

    /// A signed `BYE` to the session's entity.
    public mutating func bye(now: Int64) -> [UInt8] {
        serverEnvelope(.bye, payload: JSONObject(), now: now)
    }

    // MARK: Private

    private mutating func hello(_ envelope: Envelope, now: Int64) -> Action {
        guard phase == .awaitingHello else {
            return refuse(.malformed, "the session is already established", ref: envelope.messageID, now: now)
        }
        let hello: HelloPayload
        do {
            hello = try HelloPayload(json: envelope.payload)
        } catch {
            return refuse(error.code, error.message, ref: envelope.messageID, now: now)
        }
        guard let version = hello.negotiate(supported: settings.protocolVersions) else {
            let offered = settings.protocolVersions.joined(separator: ", ")
            return refuse(.protocolVersion, "no common protocol version; this server speaks \(offered)", ref: envelope.messageID, now: now)
        }
        phase = .ready
        let ready = ReadyPayload(
            protocolVersion: version, sessionID: sessionID, heartbeatIntervalSeconds: Int64(settings.heartbeatIntervalSeconds),
            maxMessageBytes: Int64(settings.maxMessageBytes))
        return .ready(serverEnvelope(.ready, payload: ready.json, now: now))
    }

    /// An ERROR; before READY it is followed by close 1008.
    private mutating func refuse(_ code: WireErrorCode, _ message: String, ref: WireUUID?, now: Int64) -> Action {
        let bytes = error(code, message, ref: ref, now: now)
        if phase == .awaitingHello { return closing(bytes, reason: "session refused") }
        return .send(bytes)
    }

    private mutating func closing(_ bytes: [UInt8], reason: String) -> Action {
        phase = .closed
        return .close(bytes, code: .policyViolation, reason: reason)
    }

    private mutating func serverEnvelope(_ type: EnvelopeType, payload: JSONObject, now: Int64) -> [UInt8] {
        let envelope = Envelope(
            messageID: WireUUID.v7(unixMilliseconds: UInt64(max(0, now))), type: type, fromEntity: serverEntityID,
            toEntity: .entity(entityID), timestamp: now / 1_000, payload: payload)
        return envelope.signed(with: serverKey, scratch: &scratch).encoded()
    }
}
