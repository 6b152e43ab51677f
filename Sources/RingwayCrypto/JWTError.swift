/// Why a token was refused. ``contractCode`` is the contract's error code to answer with.
public enum JWTError: Error, Sendable, Hashable {
    /// Not three base64url segments of JSON objects, or larger than the verifier accepts.
    case malformed
    /// `alg` is anything but exactly `EdDSA` (RFC 8725 section 3.1: no `none`, no HMAC, no case games).
    case unsupportedAlgorithm
    /// A header the verifier does not accept: `typ` other than `JWT`, or a `crit` member.
    case unsupportedHeader
    /// `kid` is missing or names a key other than the verifier's.
    case unknownKey
    /// The signature does not verify.
    case invalidSignature
    /// A required claim is missing or has the wrong type.
    case invalidClaims
    /// `iss` is not the expected issuer.
    case wrongIssuer
    /// `nbf` is in the future (beyond the allowed clock skew).
    case notYetValid
    /// `iat` is in the future (beyond the allowed clock skew).
    case issuedInFuture
    /// `exp` has been reached and nothing else is wrong.
    case expired

    /// `TOKEN_EXPIRED` when only the expiry failed, `AUTH_FAILED` for every other refusal.
    public var contractCode: String {
        self == .expired ? "TOKEN_EXPIRED" : "AUTH_FAILED"
    }
}
