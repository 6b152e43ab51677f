import RingwayCrypto
import RingwayJSON

/// What a router needs from an envelope, found in one pass without building the document.
public struct RoutingHeader: Sendable, Hashable {
    /// `type`.
    public var type: EnvelopeType
    /// `message_id`.
    public var messageID: WireUUID
    /// `from_entity`.
    public var fromEntity: EntityID
    /// `to_entity`; nil is JSON `null`.
    public var toEntity: Recipient?
    /// `timestamp`, Unix seconds.
    public var timestamp: Int64
    /// Byte offsets of the `signature` string's content (between the quotes); nil when absent.
    public var signatureRange: Range<Int>?
    /// Byte offsets of the `payload` object, braces included.
    public var payloadRange: Range<Int>
    // Kept to decode the signature correctly should it contain escapes.
    var signatureToken: JSONStringToken?

    /// The signature text. `envelope` must be the bytes this header was scanned from.
    public func signatureText(in envelope: UnsafeRawBufferPointer) -> String? {
        signatureToken?.decode(in: envelope)
    }
}

/// The routing fast path: validates envelope bytes with exactly the rules of ``EnvelopeDecoder``
/// (I-JSON, size and JSON limits, type, shape) in one scan, and returns only the top-level fields
/// a router needs. Nothing is copied but entity ids; the caller forwards the original bytes.
public struct EnvelopeScanner: Sendable {
    /// The bounds applied to every envelope.
    public var limits: EnvelopeLimits
    /// When true (the default) an envelope without `signature` is refused as `MALFORMED`.
    public var requiresSignature: Bool

    /// Creates a scanner.
    public init(limits: EnvelopeLimits = .default, requiresSignature: Bool = true) {
        self.limits = limits
        self.requiresSignature = requiresSignature
    }


    /// Scans `bytes`.
    public func scan(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> RoutingHeader {
        guard bytes.count <= limits.maxEnvelopeBytes else { throw EnvelopeError(.tooLarge) }
        var type: JSONMemberToken?
        var messageID: JSONMemberToken?
        var fromEntity: JSONMemberToken?
        var toEntity: JSONMemberToken?
        var timestamp: JSONMemberToken?
        var payload: JSONMemberToken?
        var signature: JSONMemberToken?
        var firstUnknown: JSONStringToken?
        let topLevel: JSONValueToken
        do {
            topLevel = try JSONScanner.scan(bytes, limits: limits.effectiveJSON) { member in
                let field = EnvelopeFieldRules.withText(member.name, in: bytes) { EnvelopeFieldRules.field(named: $0) }
                switch field {
                case .type: type = member
                case .messageID: messageID = member
                case .fromEntity: fromEntity = member
                case .toEntity: toEntity = member
                case .timestamp: timestamp = member
                case .payload: payload = member
                case .signature: signature = member
                case nil: if firstUnknown == nil { firstUnknown = member.name }
                }
            }
        } catch {
            throw EnvelopeError(.json(error))
        }
        guard case .object = topLevel else { throw EnvelopeError(.notAnObject) }

        guard let type else { throw EnvelopeError(.missingMember(.type)) }
        guard case .string(let typeToken) = type.value else { throw EnvelopeError(.wrongMemberType(.type)) }
        guard let envelopeType = EnvelopeFieldRules.withText(typeToken, in: bytes, { EnvelopeType(utf8: $0) }) else {
            throw EnvelopeError(.unsupportedType(typeToken.decode(in: bytes)))
        }
        if let firstUnknown { throw EnvelopeError(.unknownMember(firstUnknown.decode(in: bytes))) }

        guard let messageID else { throw EnvelopeError(.missingMember(.messageID)) }
        guard case .string(let idToken) = messageID.value else { throw EnvelopeError(.wrongMemberType(.messageID)) }
        guard let uuid = EnvelopeFieldRules.withText(idToken, in: bytes, { WireUUID(utf8: $0) }) else {
            throw EnvelopeError(.invalidMessageID)
        }

        guard let fromEntity else { throw EnvelopeError(.missingMember(.fromEntity)) }
        guard case .string(let fromToken) = fromEntity.value else { throw EnvelopeError(.wrongMemberType(.fromEntity)) }
        guard let sender = EnvelopeFieldRules.withText(fromToken, in: bytes, { EntityID(utf8: $0) }) else {
            throw EnvelopeError(.invalidEntityID(.fromEntity))
        }

        guard let toEntity else { throw EnvelopeError(.missingMember(.toEntity)) }
        let recipient: Recipient?
        switch toEntity.value {
        case .null:
            recipient = nil
        case .string(let toToken):
            guard let parsed = EnvelopeFieldRules.withText(toToken, in: bytes, { Recipient(utf8: $0) }) else {
                throw EnvelopeError(.invalidEntityID(.toEntity))
            }
            recipient = parsed
        default:
            throw EnvelopeError(.wrongMemberType(.toEntity))
        }

        guard let timestamp else { throw EnvelopeError(.missingMember(.timestamp)) }
        guard case .number(let seconds) = timestamp.value else { throw EnvelopeError(.wrongMemberType(.timestamp)) }
        let time = try EnvelopeFieldRules.timestamp(seconds)

        guard let payload else { throw EnvelopeError(.missingMember(.payload)) }
        guard case .object(let payloadRange) = payload.value else { throw EnvelopeError(.wrongMemberType(.payload)) }

        var signatureToken: JSONStringToken?
        if let signature {
            guard case .string(let token) = signature.value else { throw EnvelopeError(.wrongMemberType(.signature)) }
            signatureToken = token
        } else if requiresSignature {
            throw EnvelopeError(.missingMember(.signature))
        }

        return RoutingHeader(type: envelopeType, messageID: uuid, fromEntity: sender, toEntity: recipient,
                             timestamp: time, signatureRange: signatureToken?.contentRange,
                             payloadRange: payloadRange, signatureToken: signatureToken)
    }

    /// Scans `bytes` (an array, a slice, `Data`...).
    public func scan<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(EnvelopeError) -> RoutingHeader {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(EnvelopeError) in try scan(UnsafeRawBufferPointer(buffer)) }
        } ?? Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(EnvelopeError) in try scan(buffer) }
        }
        return try result.get()
    }
}
