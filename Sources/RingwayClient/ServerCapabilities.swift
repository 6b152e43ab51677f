import RingwayEnvelope
import RingwayJSON

/// `GET /peers/capabilities` (contract §10).
public struct ServerCapabilities: Sendable, Hashable {
    /// The server's entity id (`from_entity` of its envelopes).
    public var serverEntity: EntityID
    /// Protocol versions it speaks.
    public var protocolVersions: [String]
    /// Transports it offers (`websocket`, `http`).
    public var transports: [String]
    /// The `/ws/v1/peers` path, when it offers WebSocket.
    public var peersPath: String?
    /// The `/ws/v1/events` path, when it offers WebSocket.
    public var eventsPath: String?
    /// Largest envelope it accepts.
    public var maxMessageBytes: Int
    /// Its heartbeat interval, in seconds.
    public var heartbeatIntervalSeconds: Int

    /// Parses the document.
    public init(json bytes: [UInt8]) throws(ClientError) {
        guard let object = (try? JSONReader.parse(bytes))?.objectValue,
              let server = object["server_entity"]?.stringValue.flatMap({ EntityID($0) }),
              let versions = object["protocol_versions"]?.arrayValue?.compactMap(\.stringValue),
              let transports = object["transports"]?.arrayValue?.compactMap(\.stringValue) else {
            throw .protocolViolation("the capabilities document is not what the contract describes")
        }
        serverEntity = server
        protocolVersions = versions
        self.transports = transports
        let websocket = object["websocket"]?.objectValue
        peersPath = websocket?["peers"]?.stringValue
        eventsPath = websocket?["events"]?.stringValue
        maxMessageBytes = object["max_message_bytes"]?.safeIntegerValue.map { Int($0) } ?? 65_536
        heartbeatIntervalSeconds = object["heartbeat_interval_s"]?.safeIntegerValue.map { Int($0) } ?? 30
    }

    /// Whether the server offers the WebSocket transport at protocol 1.2 (else the client uses HTTP).
    public var offersWebSocket: Bool {
        transports.contains("websocket") && peersPath != nil && protocolVersions.contains("1.2")
    }
}
