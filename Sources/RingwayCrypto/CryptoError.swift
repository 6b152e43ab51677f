/// Why a key, signature or encoded value was refused.
public enum CryptoError: Error, Sendable, Hashable {
    /// A key did not have the required number of bytes.
    case invalidKeyLength(expected: Int, actual: Int)
    /// A signature did not have the required number of bytes.
    case invalidSignatureLength(actual: Int)
    /// Text that should be base64url (or base64) is not.
    case invalidBase64
    /// libsodium failed to derive a key pair.
    case keyGenerationFailed
}
