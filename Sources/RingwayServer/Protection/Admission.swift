import RingwayEnvelope
import RingwayRuntime

/// Why an entity, an address or a message was refused by policy or by a rate limit.
public struct AdmissionRefusal: Sendable, Hashable, Error {
    /// `FORBIDDEN` or `RATE_LIMITED`.
    public var code: WireErrorCode
    /// Text for the client.
    public var message: String
    /// For `RATE_LIMITED`: whole seconds after which a retry can succeed (`Retry-After`).
    public var retryAfterSeconds: Int?

    /// Creates a refusal.
    public init(code: WireErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The daemon's protection decisions (contract §7.2 steps 8 and 9, and the limits on connections
/// and handshakes): the allow-list and the rate limits. Shared by every loop.
///
/// Times are Unix milliseconds passed in by the caller.
public final class Admission: Sendable {
    /// Creates the admission of `configuration` (allow-list file read at start).
    /// - Throws: ``StartupError`` when the allow-list file cannot be read or is invalid.
    public init(configuration: ServerConfiguration) throws(StartupError) {}

    /// Admission with no allow-list and no limits.
    public init() {}

    /// Whether `entity` may authenticate and connect (allow-list).
    public func mayConnect(_ entity: EntityID) -> Bool { true }

    /// Whether `entity` may subscribe to `/ws/v1/events`.
    public func maySubscribe(_ entity: EntityID) -> Bool { true }

    /// Whether `sender` may send to `recipient` (allow-list only, no rate): also filters
    /// `/peers/discover` and decides which subscribers get whose broadcasts.
    public func maySend(_ sender: EntityID, to recipient: Recipient) -> Bool { true }

    /// Step 8 then step 9 for a MESSAGE of `byteCount` bytes: the sender's message and byte
    /// buckets, then the allow-list. Nil admits the message (and takes its tokens).
    public func admitMessage(from sender: EntityID, to recipient: Recipient, byteCount: Int, now: Int64) -> AdmissionRefusal? {
        nil
    }

    /// A new connection from `address`: nil admits it and counts it until
    /// ``connectionClosed(from:)``.
    public func admitConnection(from address: SocketAddress?) -> AdmissionRefusal? { nil }

    /// A connection admitted by ``admitConnection(from:)`` closed.
    public func connectionClosed(from address: SocketAddress?) {}

    /// An authentication request or WebSocket upgrade from `address` (handshake rate).
    public func admitHandshake(from address: SocketAddress?, now: Int64) -> AdmissionRefusal? { nil }
}
