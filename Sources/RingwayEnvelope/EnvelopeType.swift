/// The `type` of an envelope.
public enum EnvelopeType: String, Sendable, Hashable, CaseIterable {
    /// Client's first envelope: offered protocol versions and capabilities.
    case hello = "HELLO"
    /// Server's answer to HELLO.
    case ready = "READY"
    /// Application message routed to `to_entity` (or broadcast with `*`).
    case message = "MESSAGE"
    /// Acknowledgement of a message.
    case ack = "ACK"
    /// Keep-alive, answered in kind.
    case heartbeat = "HEARTBEAT"
    /// Orderly goodbye.
    case bye = "BYE"
    /// A refusal, with a contract error code.
    case error = "ERROR"

    /// The type whose name is `bytes` (exact, case-sensitive, byte for byte), or nil.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        let match = EnvelopeFieldRules.matches
        switch bytes.count {
        case 3 where match(bytes, "ACK"): self = .ack
        case 3 where match(bytes, "BYE"): self = .bye
        case 5 where match(bytes, "HELLO"): self = .hello
        case 5 where match(bytes, "READY"): self = .ready
        case 5 where match(bytes, "ERROR"): self = .error
        case 7 where match(bytes, "MESSAGE"): self = .message
        case 9 where match(bytes, "HEARTBEAT"): self = .heartbeat
        default: return nil
        }
    }
}
