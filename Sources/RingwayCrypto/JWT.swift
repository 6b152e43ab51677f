import RingwayJSON

/// Issues compact JWS tokens (RFC 7515/7519) signed with Ed25519 (`EdDSA`, RFC 8037), with header
/// `{"alg":"EdDSA","typ":"JWT","kid":K}` where K is the key's RFC 7638 thumbprint.
public struct JWTSigner: Sendable {
    /// The signing key.
    public let key: Ed25519PrivateKey
    /// The `kid` written into every header: the thumbprint of the public key.
    public let keyID: String
    private let encodedHeader: [UInt8]

    /// Creates a signer for `key`.
    public init(key: Ed25519PrivateKey) {
        self.key = key
        self.keyID = key.publicKey.jwkThumbprint
        var header: [UInt8] = []
        header.append(contentsOf: #"{"alg":"EdDSA","typ":"JWT","kid":"#.utf8)
        JSONWriter.writeString(keyID, into: &header)
        header.append(UInt8(ascii: "}"))
        var encoded: [UInt8] = []
        header.withUnsafeBytes { Base64URL.encode($0, into: &encoded) }
        self.encodedHeader = encoded
    }

    /// The signed token carrying `claims`.
    public func sign(_ claims: JWTClaims) -> String {
        var token = encodedHeader
        token.append(UInt8(ascii: "."))
        JSONWriter.encode(.object(claims.json)).withUnsafeBytes { Base64URL.encode($0, into: &token) }
        let signature = token.withUnsafeBytes { key.signature(for: $0) }
        token.append(UInt8(ascii: "."))
        signature.withUnsafeBytes { Base64URL.encode($0, into: &token) }
        return String(decoding: token, as: UTF8.self)
    }
}

/// Verifies tokens made by ``JWTSigner``.
///
/// Rules: the header must say `alg` `EdDSA` exactly (every other value, `none` and case variants
/// included, is refused), `typ` `JWT` (ASCII case-insensitive, per RFC 7515 section 4.1.9), `kid`
/// equal to the verifier's key id, and carry no `crit`. Segments are unpadded base64url and the
/// JSON is strict I-JSON. The signature is checked before any claim is read. Time rules, with
/// `now` in Unix seconds: expired when `now >= exp`, with no leeway (contract); refused when `nbf`
/// or `iat` is later than `now + maxClockSkew`, which tolerates small differences between the
/// clocks of servers that share a key but never lets a token from the far future through.
/// ``JWTError/expired`` is reported only when the expiry is the sole failure.
public struct JWTVerifier: Sendable {
    /// The issuer's public key.
    public var publicKey: Ed25519PublicKey
    /// The `kid` tokens must carry: the thumbprint of ``publicKey``.
    public var keyID: String
    /// The `iss` tokens must carry, or nil to accept any issuer.
    public var expectedIssuer: String?
    /// How far in the future `iat` and `nbf` may lie, in seconds.
    public var maxClockSkew: Int64
    /// Longest token accepted, in bytes.
    public var maxTokenBytes: Int

    /// Default for ``maxClockSkew``.
    public static let defaultMaxClockSkew: Int64 = 30
    /// Default for ``maxTokenBytes``.
    public static let defaultMaxTokenBytes = 4_096

    /// Creates a verifier for tokens signed by `publicKey`'s private key.
    public init(
        publicKey: Ed25519PublicKey,
        expectedIssuer: String? = nil,
        maxClockSkew: Int64 = JWTVerifier.defaultMaxClockSkew,
        maxTokenBytes: Int = JWTVerifier.defaultMaxTokenBytes
    ) {
        self.publicKey = publicKey
        self.keyID = publicKey.jwkThumbprint
        self.expectedIssuer = expectedIssuer
        self.maxClockSkew = maxClockSkew
        self.maxTokenBytes = maxTokenBytes
    }

    /// The claims of `token` if it is valid at `now` (Unix seconds).
    public func verify(_ token: String, now: Int64) throws(JWTError) -> JWTClaims {
        var text = token
        return try text.withUTF8 { utf8 in
            Result { () throws(JWTError) in try verify(UnsafeRawBufferPointer(utf8), now: now) }
        }.get()
    }

    /// The claims of the token in `token` (its ASCII bytes) if it is valid at `now`.
    public func verify(_ token: UnsafeRawBufferPointer, now: Int64) throws(JWTError) -> JWTClaims {
        guard token.count <= maxTokenBytes,
              let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
              !token[(secondDot + 1)...].contains(UInt8(ascii: ".")) else { throw .malformed }
        let header = try decodeObject(UnsafeRawBufferPointer(rebasing: token[..<firstDot]))
        try checkHeader(header)

        let signingInput = UnsafeRawBufferPointer(rebasing: token[..<secondDot])
        guard let signature = try? Base64URL.decodeStrict(UnsafeRawBufferPointer(rebasing: token[(secondDot + 1)...])),
              signature.count == Ed25519PublicKey.signatureByteCount else { throw .malformed }
        let valid = signature.withUnsafeBytes { publicKey.isValidSignature($0, for: signingInput) }
        guard valid else { throw .invalidSignature }

        let payload = try decodeObject(UnsafeRawBufferPointer(rebasing: token[(firstDot + 1)..<secondDot]))
        guard let claims = JWTClaims(json: payload) else { throw .invalidClaims }
        if let expectedIssuer, !claims.issuer.utf8.elementsEqual(expectedIssuer.utf8) { throw .wrongIssuer }
        if let notBefore = claims.notBefore, notBefore > now + maxClockSkew { throw .notYetValid }
        if claims.issuedAt > now + maxClockSkew { throw .issuedInFuture }
        if now >= claims.expiresAt { throw .expired }
        return claims
    }

    private func checkHeader(_ header: JSONObject) throws(JWTError) {
        guard case .string(let algorithm)? = header["alg"] else { throw .malformed }
        guard algorithm.utf8.elementsEqual("EdDSA".utf8) else { throw .unsupportedAlgorithm }
        if let type = header["typ"] {
            guard let text = type.stringValue,
                  text.utf8.count == 3,
                  text.utf8.elementsEqual("JWT".utf8, by: { $0 & 0xDF == $1 }) else { throw .unsupportedHeader }
        }
        if header["crit"] != nil { throw .unsupportedHeader }
        guard let keyID = header["kid"]?.stringValue, keyID.utf8.elementsEqual(self.keyID.utf8) else {
            throw .unknownKey
        }
    }

    private func decodeObject(_ segment: UnsafeRawBufferPointer) throws(JWTError) -> JSONObject {
        // Headers and claims are flat and small; anything deep or wide is not one of our tokens.
        let limits = JSONLimits(maxDocumentBytes: maxTokenBytes, maxNestingDepth: 4, maxStringBytes: maxTokenBytes,
                                maxNumberLength: 32, maxObjectMembers: 32, maxArrayElements: 32)
        guard let json = try? Base64URL.decodeStrict(segment),
              let value = try? json.withUnsafeBytes({ buffer throws(JSONError) in
                  try JSONReader.parse(buffer, limits: limits)
              }),
              case .object(let object) = value else { throw .malformed }
        return object
    }
}
