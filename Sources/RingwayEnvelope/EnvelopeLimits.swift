import RingwayJSON

/// Bounds on received envelopes.
public struct EnvelopeLimits: Sendable, Hashable {
    /// Largest accepted envelope in bytes (the contract's `max_message_bytes`).
    public var maxEnvelopeBytes: Int
    /// Bounds on the JSON inside; its document size is always ``maxEnvelopeBytes``.
    public var json: JSONLimits

    /// Creates limits. `json.maxDocumentBytes` is replaced by `maxEnvelopeBytes`.
    public init(
        maxEnvelopeBytes: Int = 65_536,
        json: JSONLimits = JSONLimits(maxNestingDepth: 32, maxObjectMembers: 1_024, maxArrayElements: 16_384)
    ) {
        self.maxEnvelopeBytes = maxEnvelopeBytes
        var json = json
        json.maxDocumentBytes = maxEnvelopeBytes
        self.json = json
    }

    /// The default limits: 64 KiB envelopes, nesting depth 32.
    public static let `default` = EnvelopeLimits()

    var effectiveJSON: JSONLimits {
        var limits = json
        limits.maxDocumentBytes = maxEnvelopeBytes
        return limits
    }
}
