import RingwayCrypto
import RingwayJSON
import Testing

let rfcSeed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")

func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

@Suite("JWK thumbprint and JWKS")
struct JWKTests {
    /// RFC 8037 Appendix A.3.
    @Test func rfc8037Thumbprint() throws {
        let key = try Ed25519PublicKey(base64URL: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
        #expect(key.jwkThumbprint == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    /// RFC 8037 Appendix A.4: the EdDSA JWS over "Example of Ed25519 signing".
    @Test func rfc8037Signature() throws {
        let key = try Ed25519PrivateKey(seed: rfcSeed)
        let signingInput = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
        #expect(b64(#"{"alg":"EdDSA"}"#) + "." + b64("Example of Ed25519 signing") == signingInput)
        #expect(Base64URL.encode(key.signature(for: Array(signingInput.utf8)))
            == "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
    }

    @Test func jwksDocument() throws {
        let key = try Ed25519PrivateKey(seed: rfcSeed).publicKey
        let document = try JSONReader.parse(JWKSet.document(keys: [key]))
        let expected: JSONValue = ["keys": [[
            "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig",
        ]]]
        #expect(document == expected)
        #expect(try JSONReader.parse(JWKSet.document(keys: [])) == ["keys": []])
    }
}

@Suite("JWT (EdDSA compact JWS)")
struct JWTTests {
    let serverKey = try! Ed25519PrivateKey(seed: rfcSeed)
    var signer: JWTSigner { JWTSigner(key: serverKey) }
    var verifier: JWTVerifier { JWTVerifier(publicKey: serverKey.publicKey, expectedIssuer: "ringway") }
    let claims = JWTClaims(issuer: "ringway", subject: "alice", issuedAt: 1_700_000_000, expiresAt: 1_700_000_900,
                           tokenID: "0190b1a5-0000-7000-8000-000000000001", publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")

    /// A token with `header` and `payload` as given, signed with the server key.
    func forge(header: String, payload: String, key: Ed25519PrivateKey? = nil) -> String {
        let input = b64(header) + "." + b64(payload)
        return input + "." + Base64URL.encode((key ?? serverKey).signature(for: Array(input.utf8)))
    }

    var payloadJSON: String { String(decoding: JSONWriter.encode(.object(claims.json)), as: UTF8.self) }

    func header(alg: String = "EdDSA", typ: String? = "JWT", kid: String? = nil, extra: String = "") -> String {
        var text = #"{"alg":"\#(alg)""#
        if let typ { text += #","typ":"\#(typ)""# }
        text += #","kid":"\#(kid ?? serverKey.publicKey.jwkThumbprint)""#
        return text + extra + "}"
    }

    @Test func headerAndClaimsLayout() throws {
        let token = signer.sign(claims)
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        #expect(String(decoding: try Base64URL.decodeStrict(parts[0]), as: UTF8.self)
            == #"{"alg":"EdDSA","typ":"JWT","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}"#)
        #expect(String(decoding: try Base64URL.decodeStrict(parts[1]), as: UTF8.self)
            == #"{"iss":"ringway","sub":"alice","iat":1700000000,"exp":1700000900,"jti":"0190b1a5-0000-7000-8000-000000000001","pk":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)
        #expect(!token.contains("="))
        #expect(signer.keyID == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test func roundTrip() throws {
        #expect(try verifier.verify(signer.sign(claims), now: 1_700_000_100) == claims)
        var withNotBefore = claims
        withNotBefore.notBefore = 1_700_000_050
        #expect(try verifier.verify(signer.sign(withNotBefore), now: 1_700_000_100) == withNotBefore)
    }

    @Test func expiryHasNoLeeway() throws {
        let token = signer.sign(claims)
        #expect(try verifier.verify(token, now: 1_700_000_899) == claims)
        #expect(throws: JWTError.expired) { try verifier.verify(token, now: 1_700_000_900) }
        #expect(throws: JWTError.expired) { try verifier.verify(token, now: 1_800_000_000) }
        #expect(JWTError.expired.contractCode == "TOKEN_EXPIRED")
    }

    @Test func expiredButOtherwiseBadIsAuthFailed() throws {
        var wrongIssuer = claims
        wrongIssuer.issuer = "someone-else"
        let error = #expect(throws: JWTError.self) { try verifier.verify(signer.sign(wrongIssuer), now: 1_800_000_000) }
        #expect(error == .wrongIssuer)
        #expect(error?.contractCode == "AUTH_FAILED")
        let tampered = forge(header: header(), payload: payloadJSON, key: Ed25519PrivateKey())
        #expect(throws: JWTError.invalidSignature) { try verifier.verify(tampered, now: 1_800_000_000) }
    }

    @Test func issuedAtInTheFutureBeyondSkewIsRefused() throws {
        let token = signer.sign(claims)
        #expect(try verifier.verify(token, now: 1_700_000_000 - JWTVerifier.defaultMaxClockSkew) == claims)
        #expect(throws: JWTError.issuedInFuture) {
            try verifier.verify(token, now: 1_700_000_000 - JWTVerifier.defaultMaxClockSkew - 1)
        }
    }

    @Test func notBeforeIsChecked() throws {
        var future = claims
        future.notBefore = 1_700_000_500
        let token = signer.sign(future)
        #expect(throws: JWTError.notYetValid) { try verifier.verify(token, now: 1_700_000_100) }
        #expect(try verifier.verify(token, now: 1_700_000_500 - JWTVerifier.defaultMaxClockSkew) == future)
    }

    @Test(arguments: ["none", "HS256", "RS256", "ES256", "eddsa", "EDDSA", "EdDsa", "Ed25519", "EdDSA ", ""])
    func otherAlgorithmsAreRefused(_ alg: String) throws {
        let token = forge(header: header(alg: alg), payload: payloadJSON)
        #expect(throws: JWTError.unsupportedAlgorithm) { try verifier.verify(token, now: 1_700_000_100) }
    }

    @Test func unsignedNoneTokenIsRefused() throws {
        let token = b64(#"{"alg":"none","typ":"JWT"}"#) + "." + b64(payloadJSON) + "."
        #expect(throws: JWTError.self) { try verifier.verify(token, now: 1_700_000_100) }
    }

    @Test func hmacWithThePublicKeyAsSecretIsRefused() throws {
        // The classic algorithm-confusion token: any 32-byte "MAC" in the signature slot.
        let input = b64(header(alg: "HS256")) + "." + b64(payloadJSON)
        let token = input + "." + Base64URL.encode(SHA256.hash(Array(input.utf8)))
        #expect(throws: JWTError.unsupportedAlgorithm) { try verifier.verify(token, now: 1_700_000_100) }
    }

    @Test func headerRules() throws {
        #expect(try verifier.verify(forge(header: header(typ: nil), payload: payloadJSON), now: 1_700_000_100) == claims)
        #expect(try verifier.verify(forge(header: header(typ: "jwt"), payload: payloadJSON), now: 1_700_000_100) == claims)
        #expect(throws: JWTError.unsupportedHeader) {
            try verifier.verify(forge(header: header(typ: "JOSE"), payload: payloadJSON), now: 1_700_000_100)
        }
        #expect(throws: JWTError.unsupportedHeader) {
            try verifier.verify(forge(header: header(extra: #","crit":["exp"]"#), payload: payloadJSON), now: 1_700_000_100)
        }
        #expect(throws: JWTError.unknownKey) {
            try verifier.verify(forge(header: header(kid: "other"), payload: payloadJSON), now: 1_700_000_100)
        }
        #expect(throws: JWTError.unknownKey) {
            try verifier.verify(forge(header: #"{"alg":"EdDSA","typ":"JWT"}"#, payload: payloadJSON), now: 1_700_000_100)
        }
        #expect(throws: JWTError.malformed) {
            try verifier.verify(forge(header: #"{"alg":"EdDSA","alg":"none"}"#, payload: payloadJSON), now: 1_700_000_100)
        }
    }

    @Test func tamperedPayloadFailsTheSignature() throws {
        let token = signer.sign(claims)
        let parts = token.split(separator: ".").map(String.init)
        var other = claims
        other.subject = "mallory"
        let swapped = parts[0] + "." + b64(String(decoding: JSONWriter.encode(.object(other.json)), as: UTF8.self)) + "." + parts[2]
        #expect(throws: JWTError.invalidSignature) { try verifier.verify(swapped, now: 1_700_000_100) }
        let otherKey = JWTVerifier(publicKey: Ed25519PrivateKey().publicKey)
        #expect(throws: JWTError.unknownKey) { try otherKey.verify(token, now: 1_700_000_100) }
    }

    @Test(arguments: [
        "", "a", "a.b", "a.b.c.d", "..", "a..c", "!!.@@.##",
    ])
    func structurallyBrokenTokens(_ token: String) {
        #expect(throws: JWTError.malformed) { try verifier.verify(token, now: 1_700_000_100) }
    }

    @Test func segmentsMustBeUnpaddedBase64URL() throws {
        let token = signer.sign(claims)
        let parts = token.split(separator: ".").map(String.init)
        let padded = parts[0] + "." + parts[1] + "." + parts[2] + "=="
        #expect(throws: JWTError.malformed) { try verifier.verify(padded, now: 1_700_000_100) }
        let standard = parts[0] + "." + parts[1] + "." + parts[2].replacingAll("-", "+").replacingAll("_", "/")
        if standard != token {
            #expect(throws: JWTError.malformed) { try verifier.verify(standard, now: 1_700_000_100) }
        }
    }

    @Test func claimsMustBePresentAndTyped() throws {
        let missing = forge(header: header(), payload: #"{"iss":"ringway","sub":"alice","iat":1700000000,"exp":1700000900,"jti":"x"}"#)
        #expect(throws: JWTError.invalidClaims) { try verifier.verify(missing, now: 1_700_000_100) }
        let stringExp = forge(header: header(), payload: #"{"iss":"ringway","sub":"alice","iat":1700000000,"exp":"1700000900","jti":"x","pk":"k"}"#)
        #expect(throws: JWTError.invalidClaims) { try verifier.verify(stringExp, now: 1_700_000_100) }
        let fractional = forge(header: header(), payload: #"{"iss":"ringway","sub":"alice","iat":1700000000,"exp":1700000900.5,"jti":"x","pk":"k"}"#)
        #expect(throws: JWTError.invalidClaims) { try verifier.verify(fractional, now: 1_700_000_100) }
        let notObject = forge(header: header(), payload: "[1]")
        #expect(throws: JWTError.malformed) { try verifier.verify(notObject, now: 1_700_000_100) }
    }

    @Test func oversizeTokensAreRefused() {
        var big = claims
        big.tokenID = String(repeating: "x", count: 5_000)
        #expect(throws: JWTError.malformed) { try verifier.verify(signer.sign(big), now: 1_700_000_100) }
    }
}

@Suite("Authentication challenge")
struct AuthChallengeTests {
    @Test func messageBytes() {
        #expect(AuthChallenge.message(entityID: "alice", nonce: "bm9uY2U") == Array("peer-auth-v1:alice:bm9uY2U".utf8))
    }

    @Test func signAndVerify() throws {
        let key = try Ed25519PrivateKey(seed: rfcSeed)
        let signature = AuthChallenge.sign(entityID: "alice", nonce: "n-1", with: key)
        #expect(AuthChallenge.verify(signature: signature, entityID: "alice", nonce: "n-1", key: key.publicKey))
        #expect(!AuthChallenge.verify(signature: signature, entityID: "alice", nonce: "n-2", key: key.publicKey))
        #expect(!AuthChallenge.verify(signature: signature, entityID: "bob", nonce: "n-1", key: key.publicKey))
        #expect(!AuthChallenge.verify(signature: "not base64!", entityID: "alice", nonce: "n-1", key: key.publicKey))
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
