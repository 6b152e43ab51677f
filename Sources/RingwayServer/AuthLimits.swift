/// Bounds on everything a client controls in the authentication endpoints.
public struct AuthLimits: Sendable, Hashable {
    /// How long a challenge nonce stays valid, in seconds (contract: 60).
    public var nonceLifetimeSeconds: Int64
    /// Most nonces outstanding over all entities. When reached (after expired ones are swept),
    /// `GET /auth/token` is refused with `429 RATE_LIMITED` and a `Retry-After` of the time until
    /// the oldest outstanding nonce expires.
    public var maxOutstandingNonces: Int
    /// Most nonces outstanding for one entity. A further challenge drops that entity's oldest
    /// nonce instead of being refused, so that a stranger asking for challenges in an entity's
    /// name cannot lock the entity out (at worst it races one verify).
    public var maxNoncesPerEntity: Int
    /// Most keys pinned on first use; an entity that would need a new pin beyond it is refused
    /// with `403 FORBIDDEN`. Unused with a keys file.
    public var maxPinnedKeys: Int
    /// Largest `POST /auth/verify` body, in bytes; larger ones get `413 TOO_LARGE`.
    public var maxVerifyBodyBytes: Int
    /// Largest keys file or pinned-keys file read at start, in bytes.
    public var maxKeysFileBytes: Int

    /// Creates limits; the defaults are the daemon's.
    public init(
        nonceLifetimeSeconds: Int64 = 60,
        maxOutstandingNonces: Int = 100_000,
        maxNoncesPerEntity: Int = 16,
        maxPinnedKeys: Int = 10_000,
        maxVerifyBodyBytes: Int = 1_024,
        maxKeysFileBytes: Int = 16 << 20
    ) {
        precondition(nonceLifetimeSeconds > 0 && maxOutstandingNonces > 0 && maxNoncesPerEntity > 0
            && maxPinnedKeys >= 0 && maxVerifyBodyBytes > 0 && maxKeysFileBytes > 0, "auth limits must be positive")
        self.nonceLifetimeSeconds = nonceLifetimeSeconds
        self.maxOutstandingNonces = maxOutstandingNonces
        self.maxNoncesPerEntity = maxNoncesPerEntity
        self.maxPinnedKeys = maxPinnedKeys
        self.maxVerifyBodyBytes = maxVerifyBodyBytes
        self.maxKeysFileBytes = maxKeysFileBytes
    }
}
