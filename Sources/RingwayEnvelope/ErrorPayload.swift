import RingwayCrypto
import RingwayJSON

/// ERROR payload: `{"code":…,"message":…,"ref":<message_id or null>}`.
public struct ErrorPayload: Sendable, Hashable {
    /// The contract error code.
    public var code: WireErrorCode
    /// Human-readable text.
    public var message: String
    /// The `message_id` the error refers to, or nil.
    public var ref: WireUUID?

    /// Creates a payload.
    public init(code: WireErrorCode, message: String, ref: WireUUID? = nil) {
        self.code = code
        self.message = message
        self.ref = ref
    }

    /// The payload answering `error` about the envelope `ref` (nil when it had no readable id).
    public init(_ error: EnvelopeError, ref: WireUUID? = nil) {
        self.init(code: error.code, message: error.message, ref: ref)
    }

    /// Reads a received payload; an unknown code is refused.
    public init(json object: JSONObject) throws(EnvelopeError) {
        guard let codeText = object["code"]?.stringValue,
              let code = WireErrorCode(name: codeText) else {
            throw EnvelopeError(.invalidPayload("code must be a contract error code"))
        }
        guard let message = object["message"]?.stringValue else {
            throw EnvelopeError(.invalidPayload("message must be a string"))
        }
        var ref: WireUUID?
        switch object["ref"] {
        case .null?, nil:
            ref = nil
        case .string(let text)?:
            guard let id = WireUUID(text) else { throw EnvelopeError(.invalidPayload("ref must be a canonical UUID")) }
            ref = id
        default:
            throw EnvelopeError(.invalidPayload("ref must be a UUID or null"))
        }
        self.init(code: code, message: message, ref: ref)
    }

    /// The payload as JSON.
    public var json: JSONObject {
        ["code": .string(code.rawValue), "message": .string(message), "ref": ref.map { .string($0.description) } ?? .null]
    }
}
