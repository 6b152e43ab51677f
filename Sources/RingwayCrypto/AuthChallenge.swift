/// The bytes a client signs to answer an authentication challenge: the ASCII of
/// `peer-auth-v1:` + entity id + `:` + nonce, with the nonce exactly as the server sent it.
public enum AuthChallenge {
    /// The fixed prefix that binds the signature to this protocol step.
    public static let prefix = "peer-auth-v1:"

    /// The message to sign for `entityID` and `nonce`.
    public static func message(entityID: String, nonce: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8.count + entityID.utf8.count + 1 + nonce.utf8.count)
        bytes.append(contentsOf: prefix.utf8)
        bytes.append(contentsOf: entityID.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: nonce.utf8)
        return bytes
    }

    /// The client's answer: the signature of ``message(entityID:nonce:)``, in base64url.
    public static func sign(entityID: String, nonce: String, with key: Ed25519PrivateKey) -> String {
        Base64URL.encode(key.signature(for: message(entityID: entityID, nonce: nonce)))
    }

    /// True when `signature` (base64url or base64) is `key`'s signature of the challenge.
    public static func verify(signature: String, entityID: String, nonce: String, key: Ed25519PublicKey) -> Bool {
        guard let bytes = try? Base64URL.decode(signature) else { return false }
        return key.isValidSignature(bytes, for: message(entityID: entityID, nonce: nonce))
    }
}
