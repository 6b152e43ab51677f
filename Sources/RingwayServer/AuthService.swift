import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayRuntime

/// An entity whose bearer token checked out.
public struct AuthenticatedEntity: Sendable, Hashable {
    /// The entity (`sub`).
    public var entityID: EntityID
    /// Its pinned public key (`pk`).
    public var publicKey: Ed25519PublicKey
    /// The token id (`jti`).
    public var tokenID: String
    /// When the token expires (`exp`), Unix seconds.
    public var expiresAt: Int64
}

/// A token issued by `POST /auth/verify`: `{"token":JWT,"token_type":"Bearer","expires_at":T}`.
public struct IssuedToken: Sendable, Hashable {
    /// The compact JWS. Never log it.
    public var token: String
    /// The token's `exp`, Unix seconds.
    public var expiresAt: Int64
    /// The claims it carries.
    public var claims: JWTClaims
    /// True when this verify pinned the entity's key (trust on first use).
    public var pinnedNow: Bool
}

/// Challenge–response authentication and token checks (contract: Authentication).
///
/// The state lives behind a mutex; every call takes `now` (Unix seconds) so tests fix time. With
/// trust on first use, a new pin is made durable in the data directory (``PinStore``:
/// `pinned_keys.json` and its journal, mode 0600) before the token is issued; this happens once
/// per entity.
public final class AuthService: Sendable {
    /// The file of keys pinned on first use, inside the data directory.
    public static let pinnedKeysFileName = "pinned_keys.json"

    /// The clock the routes read.
    public let clock: any UnixClock
    /// The node's entity id (`iss`).
    public let issuer: String
    /// Lifetime of issued tokens, in seconds.
    public let tokenTTLSeconds: Int64
    /// The limits in force.
    public let limits: AuthLimits
    /// Where first-use pins are persisted; nil with a keys file.
    public let pinnedKeysPath: String?
    /// The allow-list (entities not on it are refused with `FORBIDDEN`) and the handshake rate.
    public let admission: Admission
    private let signer: JWTSigner
    private let verifier: JWTVerifier
    private let state: Locked<AuthState>
    private let pinStore: PinStore?

    /// Creates a service over `state`; first-use pins are written to `pinnedKeysPath`.
    public convenience init(
        identity: Ed25519PrivateKey, issuer: String, tokenTTLSeconds: Int, state: AuthState,
        pinnedKeysPath: String?, clock: any UnixClock = SystemUnixClock(), admission: Admission = Admission()
    ) {
        self.init(identity: identity, issuer: issuer, tokenTTLSeconds: tokenTTLSeconds, state: state,
                  pinStore: pinnedKeysPath.map { PinStore(snapshotPath: $0) }, clock: clock, admission: admission)
    }

    private init(
        identity: Ed25519PrivateKey, issuer: String, tokenTTLSeconds: Int, state: AuthState,
        pinStore: PinStore?, clock: any UnixClock, admission: Admission
    ) {
        let pinnedKeysPath = pinStore?.snapshotPath
        precondition(state.pinning == .keysFile || pinnedKeysPath != nil, "first-use pins need a file")
        self.clock = clock
        self.issuer = issuer
        self.tokenTTLSeconds = Int64(tokenTTLSeconds)
        self.limits = state.limits
        self.pinnedKeysPath = state.pinning == .firstUse ? pinnedKeysPath : nil
        self.pinStore = state.pinning == .firstUse ? pinStore : nil
        self.signer = JWTSigner(key: identity)
        self.verifier = JWTVerifier(publicKey: identity.publicKey, expectedIssuer: issuer)
        self.state = Locked(state)
        self.admission = admission
    }

    /// The service for `configuration`: keys from `keys_file` when set, else the first-use pins
    /// found in the data directory (none on a first start).
    /// - Throws: ``StartupError`` naming the file that cannot be read or is invalid.
    public static func load(
        configuration: ServerConfiguration, identity: NodeIdentity, limits: AuthLimits = AuthLimits(),
        clock: any UnixClock = SystemUnixClock(), admission: Admission = Admission()
    ) throws(StartupError) -> AuthService {
        let store = PinStore(snapshotPath: configuration.dataDirectory + "/" + pinnedKeysFileName)
        let state: AuthState
        if let keysFile = configuration.keysFile {
            state = AuthState(pinning: .keysFile, pins: try readKeys(keysFile, limits: limits, what: "keys file"), limits: limits)
        } else {
            state = AuthState(pinning: .firstUse, pins: try store.open(maxBytes: limits.maxKeysFileBytes), limits: limits)
        }
        return AuthService(identity: identity.privateKey, issuer: configuration.entityID,
                           tokenTTLSeconds: configuration.tokenTTLSeconds, state: state,
                           pinStore: store, clock: clock, admission: admission)
    }

    private static func readKeys(_ path: String, limits: AuthLimits, what: String) throws(StartupError) -> [String: Ed25519PublicKey] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, maxBytes: limits.maxKeysFileBytes)
        } catch {
            throw StartupError("cannot read the \(what): \(error)")
        }
        do {
            return try KeyFile.decode(bytes, maxBytes: limits.maxKeysFileBytes)
        } catch {
            throw StartupError("the \(what) \(path) is invalid: \(error.reason)")
        }
    }

    /// How keys are pinned.
    public var pinning: KeyPinning { state.withLock { $0.pinning } }

    /// The pinned keys now.
    public var pinnedKeys: [String: Ed25519PublicKey] { state.withLock { $0.pins } }

    /// The key pinned for `entity`, if any.
    public func pinnedKey(of entity: EntityID) -> Ed25519PublicKey? { state.withLock { $0.pins[entity.rawValue] } }

    /// Nonces outstanding now.
    public var outstandingNonceCount: Int { state.withLock { $0.outstandingNonceCount } }

    // MARK: Challenge

    /// `GET /auth/token`: a fresh nonce for `entityID` authenticating with `publicKey` (base64url).
    /// - Throws: `MALFORMED`, `KEY_MISMATCH`, `FORBIDDEN` or `RATE_LIMITED`.
    public func challenge(entityID: String, publicKey: String, now: Int64) throws(AuthFailure) -> IssuedChallenge {
        guard let id = EntityID(entityID) else {
            throw .malformed("entity_id must be 1 to 64 characters from A-Z a-z 0-9 . _ -")
        }
        guard let key = try? Ed25519PublicKey(base64URL: publicKey) else {
            throw .malformed("pubkey must be a 32-byte Ed25519 public key in base64url")
        }
        guard admission.mayConnect(id) else { throw Self.notAllowed }
        let nonce = Base64URL.encode(SecureRandom.bytes(count: 32))
        return try state.withLock { state throws(AuthFailure) in
            try state.issueChallenge(entityID: id, publicKey: key, nonce: nonce, now: now)
        }
    }

    /// The body of a challenge response.
    public static func encode(_ challenge: IssuedChallenge) -> [UInt8] {
        var body: [UInt8] = Array(#"{"entity_id":"#.utf8)
        JSONWriter.writeString(challenge.entityID, into: &body)
        body.append(contentsOf: #","nonce":"#.utf8)
        JSONWriter.writeString(challenge.nonce, into: &body)
        body.append(contentsOf: #","expires_at":\#(challenge.expiresAt)}"#.utf8)
        return body
    }

    // MARK: Verify

    /// `POST /auth/verify` with the raw request body: checks the signed challenge and issues a
    /// token. The nonce the body names is used up whatever the outcome.
    /// - Throws: `MALFORMED`, `TOO_LARGE`, `AUTH_FAILED`, `KEY_MISMATCH`, `FORBIDDEN`, or
    ///   `INTERNAL` when a first-use pin cannot be saved.
    public func verify(body: [UInt8], now: Int64) throws(AuthFailure) -> IssuedToken {
        guard body.count <= limits.maxVerifyBodyBytes else {
            throw AuthFailure(.tooLarge, "the request body is larger than \(limits.maxVerifyBodyBytes) bytes")
        }
        let jsonLimits = JSONLimits(maxDocumentBytes: limits.maxVerifyBodyBytes, maxNestingDepth: 2,
                                    maxStringBytes: limits.maxVerifyBodyBytes, maxNumberLength: 32,
                                    maxObjectMembers: 16, maxArrayElements: 16)
        guard let object = (try? JSONReader.parse(body, limits: jsonLimits))?.objectValue else {
            throw .malformed("the body must be a JSON object {\"entity_id\",\"nonce\",\"signature\"}")
        }
        let nonce = object["nonce"]?.stringValue
        guard let nonce, let entityID = object["entity_id"]?.stringValue,
              let signature = object["signature"]?.stringValue else {
            if let nonce { state.withLock { _ = $0.consume(nonce: nonce) } }
            throw .malformed("entity_id, nonce and signature must be strings")
        }
        return try verify(entityID: entityID, nonce: nonce, signature: signature, now: now)
    }

    /// Checks a signed challenge and issues a token; see ``verify(body:now:)``.
    public func verify(entityID: String, nonce: String, signature: String, now: Int64) throws(AuthFailure) -> IssuedToken {
        if let id = EntityID(entityID), !admission.mayConnect(id) {
            // The nonce is used up whatever the outcome, this one included.
            state.withLock { _ = $0.consume(nonce: nonce) }
            throw Self.notAllowed
        }
        let verified = try state.withLock { state throws(AuthFailure) -> AuthState.Verified in
            let verified = try state.verify(entityID: entityID, nonce: nonce, signature: signature, now: now)
            if verified.needsPin, let pinStore {
                // Persisted before the token exists, so a pin a client relies on survives a crash;
                // under the lock, so two first uses cannot both win.
                let (entity, key) = (verified.entityID.rawValue, verified.publicKey)
                do {
                    try pinStore.append(entity, key: key) { [pins = state.pins] in pins.merging([entity: key]) { _, new in new } }
                } catch {
                    throw AuthFailure(.internalError, "the key could not be pinned")
                }
                state.pin(verified.entityID, key: key)
            }
            return verified
        }
        let claims = JWTClaims(
            issuer: issuer, subject: verified.entityID.rawValue, issuedAt: now, expiresAt: now + tokenTTLSeconds,
            tokenID: WireUUID.v7(unixMilliseconds: UInt64(max(0, now)) * 1_000).description,
            publicKey: verified.publicKey.base64URL)
        return IssuedToken(token: signer.sign(claims), expiresAt: claims.expiresAt, claims: claims,
                           pinnedNow: verified.needsPin)
    }

    private static let notAllowed = AuthFailure(.forbidden, "this entity is not on the allow-list")

    /// The body of a verify response.
    public static func encode(_ token: IssuedToken) -> [UInt8] {
        var body: [UInt8] = Array(#"{"token":"#.utf8)
        JSONWriter.writeString(token.token, into: &body)
        body.append(contentsOf: #","token_type":"Bearer","expires_at":\#(token.expiresAt)}"#.utf8)
        return body
    }

    // MARK: Tokens

    /// Checks a bearer token: signed by this node, issued by it, not expired at `now`, for a
    /// valid entity id whose pinned key is still the token's `pk`.
    /// - Throws: `TOKEN_EXPIRED` when only `exp` failed, `AUTH_FAILED` for anything else.
    public func authenticate(bearer token: String, now: Int64) throws(AuthFailure) -> AuthenticatedEntity {
        let claims: JWTClaims
        do {
            claims = try verifier.verify(token, now: now)
        } catch {
            throw error == .expired
                ? AuthFailure(.tokenExpired, "the token has expired")
                : AuthFailure(.authFailed, "the token is not valid")
        }
        guard let entityID = EntityID(claims.subject), let key = try? Ed25519PublicKey(base64URL: claims.publicKey) else {
            throw .authFailed("the token is not valid")
        }
        let pinned = state.withLock { $0.pins[entityID.rawValue] }
        guard pinned == key else { throw .authFailed("the token's key is not the key pinned for this entity") }
        return AuthenticatedEntity(entityID: entityID, publicKey: key, tokenID: claims.tokenID, expiresAt: claims.expiresAt)
    }

    /// Checks the token a request carries (`Authorization: Bearer` or the `token` query
    /// parameter); a request without one is refused with `AUTH_FAILED`.
    public func authenticate(_ head: RequestHead, now: Int64) throws(AuthFailure) -> AuthenticatedEntity {
        guard let token = try BearerToken.extract(from: head) else {
            throw .authFailed("a bearer token is required")
        }
        return try authenticate(bearer: token, now: now)
    }
}
