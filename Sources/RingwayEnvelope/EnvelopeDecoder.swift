import RingwayCrypto
import RingwayJSON

/// The strict, full decoder of received envelopes. The rules are listed on ``Envelope``.
public struct EnvelopeDecoder: Sendable {
    /// The bounds applied to every envelope.
    public var limits: EnvelopeLimits
    /// When true (the default) an envelope without `signature` is refused as `MALFORMED`.
    public var requiresSignature: Bool

    /// Creates a decoder.
    public init(limits: EnvelopeLimits = .default, requiresSignature: Bool = true) {
        self.limits = limits
        self.requiresSignature = requiresSignature
    }

    /// Decodes `bytes`.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> Envelope {
        try decodeDocument(bytes).envelope
    }

    /// Decodes `bytes` (an array, a slice, `Data`...).
    public func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(EnvelopeError) -> Envelope {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(EnvelopeError) in try decode(UnsafeRawBufferPointer(buffer)) }
        } ?? Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(EnvelopeError) in try decode(buffer) }
        }
        return try result.get()
    }

    /// Decodes `bytes` and also returns the parsed document, which signature checks canonicalize.
    public func decodeDocument(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> (envelope: Envelope, document: JSONObject) {
        guard bytes.count <= limits.maxEnvelopeBytes else { throw EnvelopeError(.tooLarge) }
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes, limits: limits.effectiveJSON)
        } catch {
            throw EnvelopeError(.json(error))
        }
        guard case .object(let document) = value else { throw EnvelopeError(.notAnObject) }
        return (try envelope(from: document), document)
    }

    /// Applies the type and shape rules to an already-parsed document.
    public func envelope(from document: JSONObject) throws(EnvelopeError) -> Envelope {
        guard let typeValue = document["type"] else { throw EnvelopeError(.missingMember(.type)) }
        guard case .string(let typeName) = typeValue else { throw EnvelopeError(.wrongMemberType(.type)) }
        guard let type = EnvelopeFieldRules.withUTF8(typeName, { EnvelopeType(utf8: $0) }) else {
            throw EnvelopeError(.unsupportedType(typeName))
        }
        for member in document.members where EnvelopeFieldRules.withUTF8(member.name, { EnvelopeFieldRules.field(named: $0) }) == nil {
            throw EnvelopeError(.unknownMember(member.name))
        }

        guard let idValue = document["message_id"] else { throw EnvelopeError(.missingMember(.messageID)) }
        guard case .string(let idText) = idValue else { throw EnvelopeError(.wrongMemberType(.messageID)) }
        guard let messageID = EnvelopeFieldRules.withUTF8(idText, { WireUUID(utf8: $0) }) else {
            throw EnvelopeError(.invalidMessageID)
        }

        guard let fromValue = document["from_entity"] else { throw EnvelopeError(.missingMember(.fromEntity)) }
        guard case .string(let fromText) = fromValue else { throw EnvelopeError(.wrongMemberType(.fromEntity)) }
        guard let fromEntity = EntityID(fromText) else { throw EnvelopeError(.invalidEntityID(.fromEntity)) }

        guard let toValue = document["to_entity"] else { throw EnvelopeError(.missingMember(.toEntity)) }
        let toEntity: Recipient?
        switch toValue {
        case .null:
            toEntity = nil
        case .string(let toText):
            guard let recipient = Recipient(toText) else { throw EnvelopeError(.invalidEntityID(.toEntity)) }
            toEntity = recipient
        default:
            throw EnvelopeError(.wrongMemberType(.toEntity))
        }

        guard let timeValue = document["timestamp"] else { throw EnvelopeError(.missingMember(.timestamp)) }
        guard case .number(let seconds) = timeValue else { throw EnvelopeError(.wrongMemberType(.timestamp)) }
        let timestamp = try EnvelopeFieldRules.timestamp(seconds)

        guard let payloadValue = document["payload"] else { throw EnvelopeError(.missingMember(.payload)) }
        guard case .object(let payload) = payloadValue else { throw EnvelopeError(.wrongMemberType(.payload)) }

        var signature: String?
        if let signatureValue = document["signature"] {
            guard case .string(let text) = signatureValue else { throw EnvelopeError(.wrongMemberType(.signature)) }
            signature = text
        } else if requiresSignature {
            throw EnvelopeError(.missingMember(.signature))
        }

        return Envelope(messageID: messageID, type: type, fromEntity: fromEntity, toEntity: toEntity,
                        timestamp: timestamp, payload: payload, signature: signature)
    }
}
