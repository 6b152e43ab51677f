import RingwayCrypto
import RingwayEnvelope

/// A challenge handed to a client: `{"entity_id":E,"nonce":N,"expires_at":T}`.
public struct IssuedChallenge: Sendable, Hashable {
    /// The entity the challenge is for.
    public var entityID: String
    /// The nonce, base64url of 32 random bytes; the client signs this text.
    public var nonce: String
    /// The first Unix second at which the nonce is no longer accepted.
    public var expiresAt: Int64
}

/// Where the keys entities must authenticate with come from.
public enum KeyPinning: Sendable, Hashable {
    /// A configured keys file: only its entities, each with its key.
    case keysFile
    /// Trust on first use: the first key an entity authenticates with is pinned.
    case firstUse
}

/// The authentication state without I/O: outstanding nonces and pinned keys. Time and the
/// nonce bytes are passed in; persisting a new pin is the caller's job (``verify(entityID:nonce:signature:now:)``
/// reports when one is needed, ``pin(_:key:)`` records it).
public struct AuthState: Sendable {
    private struct Pending: Sendable {
        var entityID: String
        var publicKey: Ed25519PublicKey
        var expiresAt: Int64
    }

    /// A verify whose nonce and signature checked.
    public struct Verified: Sendable, Hashable {
        /// The authenticated entity.
        public var entityID: EntityID
        /// The key it signed with.
        public var publicKey: Ed25519PublicKey
        /// True when the key is not pinned yet and must be pinned (trust on first use) before a
        /// token is issued.
        public var needsPin: Bool
    }

    /// The limits in force.
    public let limits: AuthLimits
    /// How keys are pinned.
    public let pinning: KeyPinning
    /// Pinned keys by entity id.
    public private(set) var pins: [String: Ed25519PublicKey]

    private var nonces: [String: Pending] = [:]
    private var noncesByEntity: [String: [String]] = [:]
    // Issue order, which is expiry order while the clock does not go back; consumed or dropped
    // nonces stay here until they expire or the queue is compacted.
    private var expiryQueue: [(nonce: String, expiresAt: Int64)] = []
    private var queueHead = 0

    /// Creates the state with `pins` already pinned.
    public init(pinning: KeyPinning, pins: [String: Ed25519PublicKey] = [:], limits: AuthLimits = AuthLimits()) {
        self.pinning = pinning
        self.pins = pins
        self.limits = limits
    }

    /// Nonces issued and neither used, dropped nor swept.
    public var outstandingNonceCount: Int { nonces.count }

    /// Nonces outstanding for `entityID`.
    public func outstandingNonceCount(for entityID: String) -> Int {
        noncesByEntity[entityID]?.count ?? 0
    }

    /// Registers a challenge for `entityID` signing with `publicKey`, with `nonce` (base64url of
    /// fresh random bytes; it must not be outstanding already).
    /// - Throws: `KEY_MISMATCH` when another key is pinned for the entity, `FORBIDDEN` when the
    ///   entity may not authenticate (not in the keys file, or no room for a new pin),
    ///   `RATE_LIMITED` when ``AuthLimits/maxOutstandingNonces`` nonces are outstanding.
    public mutating func issueChallenge(
        entityID: EntityID, publicKey: Ed25519PublicKey, nonce: String, now: Int64
    ) throws(AuthFailure) -> IssuedChallenge {
        precondition(nonces[nonce] == nil, "a nonce must be fresh")
        sweep(now: now)
        try checkKey(entityID.rawValue, publicKey)
        let entity = entityID.rawValue
        let full = outstandingNonceCount(for: entity) >= limits.maxNoncesPerEntity
        if nonces.count - (full ? 1 : 0) >= limits.maxOutstandingNonces {
            throw AuthFailure(.rateLimited, "too many authentication challenges outstanding",
                              retryAfterSeconds: retryAfter(now: now))
        }
        if full, let oldest = noncesByEntity[entity]?.first {
            remove(nonce: oldest)
        }
        let expiresAt = now + limits.nonceLifetimeSeconds
        nonces[nonce] = Pending(entityID: entity, publicKey: publicKey, expiresAt: expiresAt)
        noncesByEntity[entity, default: []].append(nonce)
        expiryQueue.append((nonce, expiresAt))
        compactQueueIfNeeded()
        return IssuedChallenge(entityID: entity, nonce: nonce, expiresAt: expiresAt)
    }

    /// Consumes `nonce` if it is outstanding, whatever happens next (a verify naming it uses it up).
    /// Returns true when it was outstanding.
    @discardableResult
    public mutating func consume(nonce: String) -> Bool {
        remove(nonce: nonce) != nil
    }

    /// Checks a verify request: consumes the nonce, then checks that it was issued to `entityID`
    /// and has not expired, that `signature` (base64url) signs the challenge with the key the
    /// challenge was issued for, and that this key is (or may become) the entity's pinned key.
    /// - Throws: `MALFORMED` for an invalid entity id, `AUTH_FAILED` for an unknown, used,
    ///   expired or foreign nonce or a bad signature, `KEY_MISMATCH` when another key was pinned
    ///   meanwhile, `FORBIDDEN` when no pin can be made.
    public mutating func verify(entityID: String, nonce: String, signature: String, now: Int64) throws(AuthFailure) -> Verified {
        let pending = remove(nonce: nonce)
        sweep(now: now)
        guard let id = EntityID(entityID) else { throw .malformed("entity_id must be 1 to 64 characters from A-Z a-z 0-9 . _ -") }
        guard let pending else { throw .authFailed("unknown, expired or already used nonce") }
        guard pending.entityID.utf8.elementsEqual(entityID.utf8) else {
            throw .authFailed("the nonce was not issued to this entity")
        }
        guard now < pending.expiresAt else { throw .authFailed("unknown, expired or already used nonce") }
        guard AuthChallenge.verify(signature: signature, entityID: entityID, nonce: nonce, key: pending.publicKey) else {
            throw .authFailed("the signature does not verify")
        }
        try checkKey(entityID, pending.publicKey)
        return Verified(entityID: id, publicKey: pending.publicKey, needsPin: pins[entityID] == nil)
    }

    /// Pins `key` for `entityID` (after it was persisted).
    public mutating func pin(_ entityID: EntityID, key: Ed25519PublicKey) {
        precondition(pinning == .firstUse, "keys are pinned on first use only without a keys file")
        pins[entityID.rawValue] = key
    }

    /// Removes every nonce that has expired at `now`.
    public mutating func sweep(now: Int64) {
        while queueHead < expiryQueue.count, expiryQueue[queueHead].expiresAt <= now {
            let entry = expiryQueue[queueHead]
            if let pending = nonces[entry.nonce], pending.expiresAt == entry.expiresAt {
                remove(nonce: entry.nonce)
            }
            queueHead += 1
        }
        if queueHead == expiryQueue.count {
            expiryQueue.removeAll(keepingCapacity: expiryQueue.count <= 4096)
            queueHead = 0
        } else if queueHead >= 1024, queueHead * 2 >= expiryQueue.count {
            expiryQueue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    private func checkKey(_ entityID: String, _ key: Ed25519PublicKey) throws(AuthFailure) {
        if let pinned = pins[entityID] {
            guard pinned == key else {
                throw AuthFailure(.keyMismatch, "pubkey differs from the key pinned for this entity")
            }
            return
        }
        switch pinning {
        case .keysFile:
            throw AuthFailure(.forbidden, "this entity is not in the keys file")
        case .firstUse:
            guard pins.count < limits.maxPinnedKeys else {
                throw AuthFailure(.forbidden, "no more entities can be pinned on this server")
            }
        }
    }

    @discardableResult
    private mutating func remove(nonce: String) -> Pending? {
        guard let pending = nonces.removeValue(forKey: nonce) else { return nil }
        if var list = noncesByEntity[pending.entityID] {
            list.removeAll { $0 == nonce }
            noncesByEntity[pending.entityID] = list.isEmpty ? nil : list
        }
        return pending
    }

    /// Seconds until the oldest outstanding nonce expires (at least 1).
    private func retryAfter(now: Int64) -> Int {
        var index = queueHead
        while index < expiryQueue.count {
            let entry = expiryQueue[index]
            if nonces[entry.nonce]?.expiresAt == entry.expiresAt {
                return Int(max(1, min(limits.nonceLifetimeSeconds, entry.expiresAt - now)))
            }
            index += 1
        }
        return Int(limits.nonceLifetimeSeconds)
    }

    // Used and dropped nonces leave entries behind; keep the queue within a multiple of the cap.
    private mutating func compactQueueIfNeeded() {
        guard expiryQueue.count - queueHead > 2 * limits.maxOutstandingNonces + 1024 else { return }
        let live = expiryQueue[queueHead...].filter { nonces[$0.nonce]?.expiresAt == $0.expiresAt }
        expiryQueue = Array(live)
        queueHead = 0
    }
}
