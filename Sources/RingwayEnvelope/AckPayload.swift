import RingwayCrypto
import RingwayJSON

/// The `status` of an ACK.
public enum AckStatus: String, Sendable, Hashable, CaseIterable {
    /// Server → sender: handed to the connected recipient.
    case delivered
    /// Server → sender: held until the recipient is reachable.
    case queued
    /// Server → sender: held too long and dropped.
    case expired
    /// Recipient → sender: received.
    case received
}

/// ACK payload: `{"ack_id":<message_id>,"status":…}`.
public struct AckPayload: Sendable, Hashable {
    /// The `message_id` acknowledged.
    public var ackID: WireUUID
    /// What happened to it.
    public var status: AckStatus

    /// Creates a payload.
    public init(ackID: WireUUID, status: AckStatus) {
        self.ackID = ackID
        self.status = status
    }

    /// Reads a received payload.
    public init(json object: JSONObject) throws(EnvelopeError) {
        guard let idText = object["ack_id"]?.stringValue, let id = WireUUID(idText) else {
            throw EnvelopeError(.invalidPayload("ack_id must be a canonical UUID"))
        }
        guard let statusText = object["status"]?.stringValue,
              let status = AckStatus.allCases.first(where: { $0.rawValue.utf8.elementsEqual(statusText.utf8) }) else {
            throw EnvelopeError(.invalidPayload("status must be delivered, queued, expired or received"))
        }
        self.init(ackID: id, status: status)
    }

    /// The payload as JSON.
    public var json: JSONObject {
        ["ack_id": .string(ackID.description), "status": .string(status.rawValue)]
    }
}
