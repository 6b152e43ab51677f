import RingwayCrypto
import RingwayJSON

/// The contract's envelope: one JSON object per WebSocket text frame or HTTP body.
///
/// ```json
/// {"message_id":"uuid","type":"MESSAGE","from_entity":"E","to_entity":"F","timestamp":1700000000,
///  "payload":{},"signature":"base64url"}
/// ```
///
/// Decoding rules (``EnvelopeDecoder`` and the routing fast path ``EnvelopeScanner`` apply the
/// same ones, in the same order):
/// 1. Size: more than ``EnvelopeLimits/maxEnvelopeBytes`` bytes → `TOO_LARGE`.
/// 2. JSON: not I-JSON → `MALFORMED` (a JSON limit exceeded → `TOO_LARGE`).
/// 3. Type: the document must be an object with a string `type`, else `MALFORMED`; an unknown
///    type name → `UNSUPPORTED_TYPE`.
/// 4. Shape, all `MALFORMED`: no member beyond the seven above (extensions belong in `payload`;
///    an unknown top-level member would be signed and forwarded yet meaningless to every peer);
///    `message_id` a canonical UUID string; `from_entity` an entity id; `to_entity` present,
///    either null, `*` or an entity id; `timestamp` an integral number within ±(2^53 − 1) (its
///    value counts, so `1.7e9` is the integer 1700000000); `payload` an object; `signature` a
///    string. Members are checked in that order.
public struct Envelope: Sendable, Hashable {
    /// `message_id`.
    public var messageID: WireUUID
    /// `type`.
    public var type: EnvelopeType
    /// `from_entity`.
    public var fromEntity: EntityID
    /// `to_entity`; nil is JSON `null`.
    public var toEntity: Recipient?
    /// `timestamp`, Unix seconds.
    public var timestamp: Int64
    /// `payload`.
    public var payload: JSONObject
    /// `signature` as written (base64url text); nil for an envelope not signed yet.
    public var signature: String?

    /// Creates an envelope.
    public init(
        messageID: WireUUID,
        type: EnvelopeType,
        fromEntity: EntityID,
        toEntity: Recipient?,
        timestamp: Int64,
        payload: JSONObject = JSONObject(),
        signature: String? = nil
    ) {
        self.messageID = messageID
        self.type = type
        self.fromEntity = fromEntity
        self.toEntity = toEntity
        self.timestamp = timestamp
        self.payload = payload
        self.signature = signature
    }
}
