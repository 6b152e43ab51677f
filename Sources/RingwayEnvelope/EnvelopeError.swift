import RingwayJSON

/// A top-level member of the envelope.
public enum EnvelopeField: String, Sendable, Hashable, CaseIterable {
    /// `message_id`.
    case messageID = "message_id"
    /// `type`.
    case type
    /// `from_entity`.
    case fromEntity = "from_entity"
    /// `to_entity`.
    case toEntity = "to_entity"
    /// `timestamp`.
    case timestamp
    /// `payload`.
    case payload
    /// `signature`.
    case signature
}

/// Why received envelope bytes were refused; ``code`` is the contract error to answer with.
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule that was broken.
    public enum Reason: Sendable, Hashable {
        /// The envelope is larger than ``EnvelopeLimits/maxEnvelopeBytes``.
        case tooLarge
        /// The bytes are not I-JSON, or exceed a JSON limit.
        case json(JSONError)
        /// The document is valid JSON but not an object.
        case notAnObject
        /// A required member is absent.
        case missingMember(EnvelopeField)
        /// A member has the wrong JSON type (e.g. a numeric `type`, a non-object `payload`).
        case wrongMemberType(EnvelopeField)
        /// A member that the contract's envelope does not have.
        case unknownMember(String)
        /// `type` is a string naming no envelope type.
        case unsupportedType(String)
        /// `from_entity` or `to_entity` is not a valid entity id.
        case invalidEntityID(EnvelopeField)
        /// `message_id` is not a UUID in canonical text form.
        case invalidMessageID
        /// `timestamp` is not an integer within ±(2^53 − 1).
        case invalidTimestamp
        /// The payload does not have the shape this envelope type requires.
        case invalidPayload(String)
        /// The signature does not decode to 64 bytes or does not verify.
        case invalidSignature
    }

    /// The rule that was broken.
    public var reason: Reason

    /// Creates an error.
    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// The contract error code to answer with.
    public var code: WireErrorCode {
        switch reason {
        case .tooLarge: return .tooLarge
        case .json(let error): return error.isLimitExceeded ? .tooLarge : .malformed
        case .unsupportedType: return .unsupportedType
        case .invalidSignature: return .invalidSignature
        case .notAnObject, .missingMember, .wrongMemberType, .unknownMember, .invalidEntityID,
             .invalidMessageID, .invalidTimestamp, .invalidPayload:
            return .malformed
        }
    }

    /// Human-readable text for the ERROR payload's `message`; it never echoes member values.
    public var message: String {
        switch reason {
        case .tooLarge: return "envelope too large"
        case .json(let error): return error.description
        case .notAnObject: return "envelope is not a JSON object"
        case .missingMember(let field): return "missing member \(field.rawValue)"
        case .wrongMemberType(let field): return "member \(field.rawValue) has the wrong type"
        case .unknownMember: return "unknown envelope member"
        case .unsupportedType: return "unsupported envelope type"
        case .invalidEntityID(let field): return "\(field.rawValue) is not a valid entity id"
        case .invalidMessageID: return "message_id is not a canonical UUID"
        case .invalidTimestamp: return "timestamp is not an integer number of seconds"
        case .invalidPayload(let detail): return "invalid payload: \(detail)"
        case .invalidSignature: return "invalid signature"
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
