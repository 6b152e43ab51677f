import RingwayJSON

extension Ed25519PublicKey {
    /// The RFC 7638 thumbprint of this key as an OKP JWK (RFC 8037): base64url of the SHA-256 of
    /// `{"crv":"Ed25519","kty":"OKP","x":"<key>"}`. Used as the JWT `kid`.
    public var jwkThumbprint: String {
        var members: [UInt8] = []
        members.append(contentsOf: #"{"crv":"Ed25519","kty":"OKP","x":""#.utf8)
        members.append(contentsOf: base64URL.utf8)
        members.append(contentsOf: #""}"#.utf8)
        return Base64URL.encode(SHA256.hash(members))
    }

    /// This key as a public JWK: `kty`, `crv`, `x`, `kid` (the thumbprint), `alg` and `use`.
    public var jwk: JSONValue {
        [
            "kty": "OKP",
            "crv": "Ed25519",
            "x": .string(base64URL),
            "kid": .string(jwkThumbprint),
            "alg": "EdDSA",
            "use": "sig",
        ]
    }
}

/// The JWK Set document served at `/.well-known/jwks.json` (RFC 7517 section 5).
public enum JWKSet {
    /// `{"keys":[...]}` for `keys`, compact.
    public static func document(keys: [Ed25519PublicKey]) -> [UInt8] {
        JSONWriter.encode(["keys": .array(keys.map(\.jwk))])
    }
}
