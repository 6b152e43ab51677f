import RingwayJSON

/// READY payload: `{"protocol":"1.2","session_id":…,"heartbeat_interval_s":…,"max_message_bytes":…}`.
public struct ReadyPayload: Sendable, Hashable {
    /// The negotiated protocol version.
    public var protocolVersion: String
    /// The server's id for this session.
    public var sessionID: String
    /// Seconds between heartbeats.
    public var heartbeatIntervalSeconds: Int64
    /// Largest envelope the server accepts, in bytes.
    public var maxMessageBytes: Int64

    /// Creates a payload.
    public init(protocolVersion: String, sessionID: String, heartbeatIntervalSeconds: Int64, maxMessageBytes: Int64) {
        self.protocolVersion = protocolVersion
        self.sessionID = sessionID
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.maxMessageBytes = maxMessageBytes
    }

    /// Reads a received payload; every member is required.
    public init(json object: JSONObject) throws(EnvelopeError) {
        guard let version = object["protocol"]?.stringValue,
              let session = object["session_id"]?.stringValue,
              let interval = object["heartbeat_interval_s"]?.safeIntegerValue, interval > 0,
              let maxBytes = object["max_message_bytes"]?.safeIntegerValue, maxBytes > 0 else {
            throw EnvelopeError(.invalidPayload("READY needs protocol, session_id, heartbeat_interval_s, max_message_bytes"))
        }
        self.init(protocolVersion: version, sessionID: session, heartbeatIntervalSeconds: interval, maxMessageBytes: maxBytes)
    }

    /// The payload as JSON.
    public var json: JSONObject {
        [
            "protocol": .string(protocolVersion),
            "session_id": .string(sessionID),
            "heartbeat_interval_s": .number(Double(heartbeatIntervalSeconds)),
            "max_message_bytes": .number(Double(maxMessageBytes)),
        ]
    }
}
