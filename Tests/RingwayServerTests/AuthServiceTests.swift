import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
@testable import RingwayServer
import Testing

/// The authentication state and service without sockets, with time passed in.
struct AuthServiceTests {
    static let start: Int64 = 1_700_000_000
    let node = Ed25519PrivateKey()
    let client = Ed25519PrivateKey()

    func service(
        dataDirectory: String? = nil, keysFile: String? = nil, limits: AuthLimits = AuthLimits(), ttl: Int = 3600
    ) throws -> AuthService {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = try dataDirectory ?? temporaryDirectory()
        configuration.keysFile = keysFile
        configuration.tokenTTLSeconds = ttl
        configuration.entityID = "hub"
        let identity = try NodeIdentity.loadOrCreate(dataDirectory: configuration.dataDirectory)
        return try AuthService.load(configuration: configuration, identity: identity, limits: limits)
    }

    func failure(_ body: () throws(AuthFailure) -> Void) -> AuthFailure? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// Challenge and verify for `entity` with `key`.
    func login(_ auth: AuthService, _ entity: String = "sensor-7", key: Ed25519PrivateKey? = nil, now: Int64 = start) throws -> IssuedToken {
        let key = key ?? client
        let challenge = try auth.challenge(entityID: entity, publicKey: key.publicKey.base64URL, now: now)
        let signature = AuthChallenge.sign(entityID: entity, nonce: challenge.nonce, with: key)
        return try auth.verify(entityID: entity, nonce: challenge.nonce, signature: signature, now: now)
    }

    func verifyBody(entity: String, nonce: String, signature: String) -> [UInt8] {
        Array(#"{"entity_id":"\#(entity)","nonce":"\#(nonce)","signature":"\#(signature)"}"#.utf8)
    }

    // MARK: Challenge

    @Test func challengeIsAFresh32ByteNonceValidFor60Seconds() throws {
        let auth = try service()
        let first = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let second = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        #expect(first.entityID == "sensor-7")
        #expect(first.expiresAt == Self.start + 60)
        #expect(first.nonce.utf8.count == 43)
        #expect(try Base64URL.decodeStrict(first.nonce).count == 32)
        #expect(first.nonce != second.nonce)
        let body = String(decoding: AuthService.encode(first), as: UTF8.self)
        #expect(body == #"{"entity_id":"sensor-7","nonce":"\#(first.nonce)","expires_at":\#(Self.start + 60)}"#)
    }

    @Test(arguments: ["", "has space", "star*", String(repeating: "a", count: 65), "é"])
    func invalidEntityIDIsMalformed(entity: String) throws {
        let auth = try service()
        let error = failure { () throws(AuthFailure) in
            _ = try auth.challenge(entityID: entity, publicKey: client.publicKey.base64URL, now: Self.start)
        }
        #expect(error?.code == .malformed)
    }

    @Test func longestEntityIDIsAccepted() throws {
        let auth = try service()
        let entity = String(repeating: "a.b_C-9", count: 9) + "x"
        #expect(entity.count == 64)
        _ = try login(auth, entity)
    }

    @Test(arguments: ["", "AAAA", Base64URL.encode([UInt8](repeating: 1, count: 31)),
                      Base64URL.encode([UInt8](repeating: 1, count: 33)), "not base64!"])
    func invalidPublicKeyIsMalformed(key: String) throws {
        let auth = try service()
        let error = failure { () throws(AuthFailure) in
            _ = try auth.challenge(entityID: "sensor-7", publicKey: key, now: Self.start)
        }
        #expect(error?.code == .malformed)
        #expect(error?.response.status.code == 400)
    }

    // MARK: Verify

    @Test func verifyIssuesATokenSignedByTheNode() throws {
        let auth = try service(ttl: 600)
        let issued = try login(auth)
        #expect(issued.expiresAt == Self.start + 600)
        #expect(issued.claims.issuer == "hub")
        #expect(issued.claims.subject == "sensor-7")
        #expect(issued.claims.issuedAt == Self.start)
        #expect(issued.claims.expiresAt == issued.expiresAt)
        #expect(issued.claims.publicKey == client.publicKey.base64URL)
        let jti = try #require(WireUUID(issued.claims.tokenID))
        #expect(jti.version == 7)
        #expect(jti.unixMilliseconds == UInt64(Self.start) * 1000)
        let entity = try auth.authenticate(bearer: issued.token, now: Self.start + 1)
        #expect(entity.entityID.rawValue == "sensor-7")
        #expect(entity.publicKey == client.publicKey)
        #expect(entity.tokenID == issued.claims.tokenID)
        let body = String(decoding: AuthService.encode(issued), as: UTF8.self)
        #expect(body == #"{"token":"\#(issued.token)","token_type":"Bearer","expires_at":\#(Self.start + 600)}"#)
    }

    @Test func verifyFromTheRequestBody() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce, with: client)
        let issued = try auth.verify(body: verifyBody(entity: "sensor-7", nonce: challenge.nonce, signature: signature), now: Self.start)
        #expect(issued.claims.subject == "sensor-7")
    }

    @Test func nonceExpiresAtExactly60Seconds() throws {
        let auth = try service()
        let key = client.publicKey.base64URL
        let early = try auth.challenge(entityID: "sensor-7", publicKey: key, now: Self.start)
        _ = try auth.verify(entityID: "sensor-7", nonce: early.nonce,
                            signature: AuthChallenge.sign(entityID: "sensor-7", nonce: early.nonce, with: client),
                            now: Self.start + 59)
        let late = try auth.challenge(entityID: "sensor-7", publicKey: key, now: Self.start)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: late.nonce,
                                signature: AuthChallenge.sign(entityID: "sensor-7", nonce: late.nonce, with: client),
                                now: Self.start + 60)
        }
        #expect(error?.code == .authFailed)
        #expect(error?.response.status.code == 401)
    }

    @Test func nonceIsSingleUseEvenAfterAFailedVerify() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let good = AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce, with: client)
        let bad = AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce, with: Ed25519PrivateKey())
        let first = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: bad, now: Self.start)
        }
        #expect(first?.code == .authFailed)
        let second = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: good, now: Self.start)
        }
        #expect(second?.code == .authFailed)
        #expect(auth.outstandingNonceCount == 0)
    }

    @Test func nonceIsSingleUseAfterSuccess() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce, with: client)
        _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: signature, now: Self.start)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: signature, now: Self.start)
        }
        #expect(error?.code == .authFailed)
    }

    @Test func malformedVerifyBodyStillUsesUpTheNonceItNames() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(body: Array(#"{"entity_id":"sensor-7","nonce":"\#(challenge.nonce)","signature":7}"#.utf8), now: Self.start)
        }
        #expect(error?.code == .malformed)
        #expect(auth.outstandingNonceCount == 0)
    }

    @Test(arguments: [
        "", "[]", "{", #"{"entity_id":"a","nonce":"b"}"#, #"{"entity_id":"a","entity_id":"a","nonce":"b","signature":"c"}"#,
        #"{"entity_id":1,"nonce":"b","signature":"c"}"#, #"{"entity_id":"bad id","nonce":"b","signature":"c"}"#,
    ])
    func malformedVerifyBodies(body: String) throws {
        let auth = try service()
        let error = failure { () throws(AuthFailure) in _ = try auth.verify(body: Array(body.utf8), now: Self.start) }
        #expect(error?.code == .malformed)
    }

    @Test func oversizedVerifyBodyIsTooLarge() throws {
        let auth = try service()
        let body = [UInt8](repeating: UInt8(ascii: " "), count: AuthLimits().maxVerifyBodyBytes + 1)
        let error = failure { () throws(AuthFailure) in _ = try auth.verify(body: body, now: Self.start) }
        #expect(error?.code == .tooLarge)
        #expect(error?.response.status.code == 413)
    }

    @Test func wrongSignatureFails() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        // A signature of another message by the right key.
        let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce + "x", with: client)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: signature, now: Self.start)
        }
        #expect(error?.code == .authFailed)
        #expect(auth.pinnedKeys.isEmpty)
    }

    @Test func undecodableSignatureFails() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: "!!", now: Self.start)
        }
        #expect(error?.code == .authFailed)
    }

    @Test func nonceOfAnotherEntityFails() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        let signature = AuthChallenge.sign(entityID: "sensor-8", nonce: challenge.nonce, with: client)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-8", nonce: challenge.nonce, signature: signature, now: Self.start)
        }
        #expect(error?.code == .authFailed)
        #expect(auth.outstandingNonceCount == 0)
    }

    @Test func unknownNonceFails() throws {
        let auth = try service()
        let nonce = Base64URL.encode(SecureRandom.bytes(count: 32))
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: nonce,
                                signature: AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: client), now: Self.start)
        }
        #expect(error?.code == .authFailed)
    }

    // MARK: Pinning

    @Test func firstUsePinsTheKeyAndPersistsItAcrossAReload() throws {
        let directory = try temporaryDirectory()
        let auth = try service(dataDirectory: directory)
        #expect(auth.pinning == .firstUse)
        let issued = try login(auth)
        #expect(issued.pinnedNow)
        #expect(try login(auth).pinnedNow == false)
        #expect(auth.pinnedKeys == ["sensor-7": client.publicKey])

        // The pin is in the journal (one line per pin) until the store is opened again.
        let journal = PinStore.journalPath(for: directory + "/" + AuthService.pinnedKeysFileName)
        let attributes = try FileManager.default.attributesOfItem(atPath: journal)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: journal, encoding: .utf8) == #"{"sensor-7":"\#(client.publicKey.base64URL)"}"# + "\n")

        let reloaded = try service(dataDirectory: directory)
        let snapshot = directory + "/" + AuthService.pinnedKeysFileName
        #expect(try String(contentsOfFile: snapshot, encoding: .utf8) == #"{"sensor-7":"\#(client.publicKey.base64URL)"}"# + "\n")
        let snapshotAttributes = try FileManager.default.attributesOfItem(atPath: snapshot)
        #expect((snapshotAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(reloaded.pinnedKeys == ["sensor-7": client.publicKey])
        let error = failure { () throws(AuthFailure) in
            _ = try reloaded.challenge(entityID: "sensor-7", publicKey: Ed25519PrivateKey().publicKey.base64URL, now: Self.start)
        }
        #expect(error?.code == .keyMismatch)
        #expect(error?.response.status.code == 409)
        _ = try login(reloaded)
        // The reloaded node has the same node key, so the earlier token is still good.
        #expect(try reloaded.authenticate(bearer: issued.token, now: Self.start).entityID.rawValue == "sensor-7")
    }

    @Test func failedVerifyPinsNothing() throws {
        let auth = try service()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: client.publicKey.base64URL, now: Self.start)
        _ = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce, signature: "AAAA", now: Self.start)
        }
        #expect(auth.pinnedKeys.isEmpty)
        // Another key may still claim the entity first.
        _ = try login(auth, key: Ed25519PrivateKey())
    }

    @Test func keyPinnedBetweenChallengeAndVerifyIsAMismatch() throws {
        let auth = try service()
        let other = Ed25519PrivateKey()
        let challenge = try auth.challenge(entityID: "sensor-7", publicKey: other.publicKey.base64URL, now: Self.start)
        _ = try login(auth)
        let error = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenge.nonce,
                                signature: AuthChallenge.sign(entityID: "sensor-7", nonce: challenge.nonce, with: other), now: Self.start)
        }
        #expect(error?.code == .keyMismatch)
    }

    @Test func keysFileDecidesKeysAndEntities() throws {
        let directory = try temporaryDirectory()
        let keysFile = directory + "/keys.json"
        try #"{"sensor-7":"\#(client.publicKey.base64URL)"}"#.write(toFile: keysFile, atomically: true, encoding: .utf8)
        let auth = try service(dataDirectory: directory + "/data", keysFile: keysFile)
        #expect(auth.pinning == .keysFile)
        let mismatch = failure { () throws(AuthFailure) in
            _ = try auth.challenge(entityID: "sensor-7", publicKey: Ed25519PrivateKey().publicKey.base64URL, now: Self.start)
        }
        #expect(mismatch?.code == .keyMismatch)
        #expect(mismatch?.response.status.code == 409)
        let unknown = failure { () throws(AuthFailure) in
            _ = try auth.challenge(entityID: "sensor-8", publicKey: client.publicKey.base64URL, now: Self.start)
        }
        #expect(unknown?.code == .forbidden)
        #expect(try login(auth).pinnedNow == false)
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/" + AuthService.pinnedKeysFileName))
    }

    @Test(arguments: [#"[]"#, #"{"bad id":"AAAA"}"#, #"{"sensor-7":"AAAA"}"#, #"{"sensor-7":7}"#, "{"])
    func invalidKeysFileStopsTheStart(text: String) throws {
        let directory = try temporaryDirectory()
        let keysFile = directory + "/keys.json"
        try text.write(toFile: keysFile, atomically: true, encoding: .utf8)
        #expect(throws: StartupError.self) { try service(dataDirectory: directory + "/data", keysFile: keysFile) }
    }

    @Test func missingKeysFileStopsTheStart() throws {
        let directory = try temporaryDirectory()
        #expect(throws: StartupError.self) { try service(dataDirectory: directory, keysFile: directory + "/none.json") }
    }

    // MARK: Tokens

    @Test func expiredTokenIsTokenExpired() throws {
        let auth = try service(ttl: 60)
        let issued = try login(auth)
        _ = try auth.authenticate(bearer: issued.token, now: Self.start + 59)
        let error = failure { () throws(AuthFailure) in _ = try auth.authenticate(bearer: issued.token, now: Self.start + 60) }
        #expect(error?.code == .tokenExpired)
        #expect(error?.response.status.code == 401)
    }

    @Test func tamperedTokenIsAuthFailed() throws {
        let auth = try service()
        let issued = try login(auth)
        var parts = issued.token.split(separator: ".").map(String.init)
        var claims = issued.claims
        claims.subject = "someone-else"
        parts[1] = Base64URL.encode(JSONWriter.encode(.object(claims.json)))
        let tampered = parts.joined(separator: ".")
        for token in [tampered, issued.token + "x", "", "a.b.c", String(issued.token.dropLast(2))] {
            let error = failure { () throws(AuthFailure) in _ = try auth.authenticate(bearer: token, now: Self.start) }
            #expect(error?.code == .authFailed)
        }
    }

    @Test func tokenOfAnotherNodeIsAuthFailed() throws {
        let auth = try service()
        let other = try service()
        let issued = try login(other)
        let error = failure { () throws(AuthFailure) in _ = try auth.authenticate(bearer: issued.token, now: Self.start) }
        #expect(error?.code == .authFailed)
    }

    @Test func tokenWhoseKeyIsNoLongerPinnedIsAuthFailed() throws {
        // Node A and node B share the node key, but B pinned another key for the entity.
        let directory = try temporaryDirectory()
        let first = try service(dataDirectory: directory)
        let issued = try login(first)
        let pins = directory + "/" + AuthService.pinnedKeysFileName
        for path in [pins, PinStore.journalPath(for: pins)] where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
        }
        let second = try service(dataDirectory: directory)
        _ = try login(second, key: Ed25519PrivateKey())
        let error = failure { () throws(AuthFailure) in _ = try second.authenticate(bearer: issued.token, now: Self.start) }
        #expect(error?.code == .authFailed)
    }

    // MARK: Limits

    @Test func perEntityNoncesDropTheOldest() throws {
        let auth = try service(limits: AuthLimits(maxNoncesPerEntity: 3))
        let key = client.publicKey.base64URL
        let challenges = try (0..<4).map { _ in try auth.challenge(entityID: "sensor-7", publicKey: key, now: Self.start) }
        #expect(auth.outstandingNonceCount == 3)
        let dropped = failure { () throws(AuthFailure) in
            _ = try auth.verify(entityID: "sensor-7", nonce: challenges[0].nonce,
                                signature: AuthChallenge.sign(entityID: "sensor-7", nonce: challenges[0].nonce, with: client), now: Self.start)
        }
        #expect(dropped?.code == .authFailed)
        _ = try auth.verify(entityID: "sensor-7", nonce: challenges[3].nonce,
                            signature: AuthChallenge.sign(entityID: "sensor-7", nonce: challenges[3].nonce, with: client), now: Self.start)
    }

    @Test func globalNonceCapIsRateLimitedUntilTheOldestExpires() throws {
        let auth = try service(limits: AuthLimits(maxOutstandingNonces: 4))
        let key = client.publicKey.base64URL
        _ = try auth.challenge(entityID: "e1", publicKey: key, now: Self.start)
        for index in 2...4 { _ = try auth.challenge(entityID: "e\(index)", publicKey: key, now: Self.start + 10) }
        let error = failure { () throws(AuthFailure) in _ = try auth.challenge(entityID: "e5", publicKey: key, now: Self.start + 20) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfterSeconds == 40)
        #expect(error?.response.status.code == 429)
        #expect(error?.response.headers.first(name: "Retry-After") == "40")
        // At the first nonce's expiry it is swept and there is room again.
        _ = try auth.challenge(entityID: "e5", publicKey: key, now: Self.start + 60)
        #expect(auth.outstandingNonceCount == 4)
    }

    @Test func expiredNoncesAreSwept() throws {
        var state = AuthState(pinning: .firstUse)
        for index in 0..<100 {
            _ = try state.issueChallenge(entityID: EntityID("e\(index % 7)")!, publicKey: client.publicKey,
                                         nonce: "n\(index)", now: Self.start + Int64(index))
        }
        // Issuing also sweeps: at the last issue (index 99) the nonces of indices 0...39 had expired.
        #expect(state.outstandingNonceCount == 60)
        state.sweep(now: Self.start + 60 + 49)
        #expect(state.outstandingNonceCount == 50)
        state.sweep(now: Self.start + 1_000)
        #expect(state.outstandingNonceCount == 0)
        #expect(state.outstandingNonceCount(for: "e0") == 0)
    }

    @Test func pinnedKeyCapRefusesNewEntities() throws {
        let auth = try service(limits: AuthLimits(maxPinnedKeys: 1))
        _ = try login(auth, "first")
        let error = failure { () throws(AuthFailure) in
            _ = try auth.challenge(entityID: "second", publicKey: client.publicKey.base64URL, now: Self.start)
        }
        #expect(error?.code == .forbidden)
        _ = try login(auth, "first")
    }
}
