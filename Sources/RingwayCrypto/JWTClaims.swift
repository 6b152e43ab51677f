import RingwayJSON

/// The claims of a Ringway access token (contract, Authentication step 4).
public struct JWTClaims: Sendable, Hashable {
    /// `iss`: the server's entity id.
    public var issuer: String
    /// `sub`: the authenticated entity id.
    public var subject: String
    /// `iat`: when the token was issued, in Unix seconds.
    public var issuedAt: Int64
    /// `exp`: the first Unix second at which the token is no longer valid.
    public var expiresAt: Int64
    /// `nbf`: the first Unix second at which the token is valid, if stated.
    public var notBefore: Int64?
    /// `jti`: a unique token id.
    public var tokenID: String
    /// `pk`: the entity's public key, in base64url, as it authenticated with.
    public var publicKey: String

    /// Creates claims.
    public init(
        issuer: String,
        subject: String,
        issuedAt: Int64,
        expiresAt: Int64,
        notBefore: Int64? = nil,
        tokenID: String,
        publicKey: String
    ) {
        self.issuer = issuer
        self.subject = subject
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.tokenID = tokenID
        self.publicKey = publicKey
    }

    /// The claims as a JSON object, in the order `iss, sub, iat, exp, nbf, jti, pk`.
    public var json: JSONObject {
        var object: JSONObject = [
            "iss": .string(issuer),
            "sub": .string(subject),
            "iat": .number(Double(issuedAt)),
            "exp": .number(Double(expiresAt)),
        ]
        if let notBefore { object["nbf"] = .number(Double(notBefore)) }
        object["jti"] = .string(tokenID)
        object["pk"] = .string(publicKey)
        return object
    }

    /// Reads claims from a verified payload; nil when a required claim is missing or mistyped.
    init?(json object: JSONObject) {
        guard let issuer = object["iss"]?.stringValue,
              let subject = object["sub"]?.stringValue,
              let issuedAt = object["iat"]?.safeIntegerValue,
              let expiresAt = object["exp"]?.safeIntegerValue,
              let tokenID = object["jti"]?.stringValue,
              let publicKey = object["pk"]?.stringValue else { return nil }
        var notBefore: Int64?
        if let value = object["nbf"] {
            guard let integer = value.safeIntegerValue else { return nil }
            notBefore = integer
        }
        self.init(issuer: issuer, subject: subject, issuedAt: issuedAt, expiresAt: expiresAt,
                  notBefore: notBefore, tokenID: tokenID, publicKey: publicKey)
    }
}
