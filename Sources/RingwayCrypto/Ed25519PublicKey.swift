import CRingwaySodium

/// A raw 32-byte Ed25519 public key (RFC 8032).
public struct Ed25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Length of a public key in bytes.
    public static let byteCount = 32
    /// Length of a signature in bytes.
    public static let signatureByteCount = 64

    /// The 32 key bytes.
    public let rawRepresentation: [UInt8]

    /// Wraps 32 key bytes.
    public init<Bytes: Collection<UInt8>>(rawRepresentation bytes: Bytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(expected: Self.byteCount, actual: bytes.count)
        }
        rawRepresentation = Array(bytes)
    }

    /// Decodes a key written in base64url (padding and the standard alphabet are accepted too).
    public init(base64URL text: String) throws(CryptoError) {
        try self.init(rawRepresentation: Base64URL.decode(text))
    }

    /// The key in unpadded base64url, as the contract writes keys.
    public var base64URL: String { Base64URL.encode(rawRepresentation) }

    public var description: String { base64URL }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    /// A signature of the wrong length is simply invalid.
    public func isValidSignature(_ signature: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == Self.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        return rawRepresentation.withUnsafeBufferPointer { key in
            ringway_ed25519_verify(
                signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? key.baseAddress!,
                message.count,
                key.baseAddress!
            ) == 0
        }
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature<Signature: Collection<UInt8>, Message: Collection<UInt8>>(
        _ signature: Signature,
        for message: Message
    ) -> Bool {
        withContiguousBytes(signature) { signatureBytes in
            withContiguousBytes(message) { messageBytes in
                isValidSignature(signatureBytes, for: messageBytes)
            }
        }
    }
}

/// Calls `body` with the bytes of `bytes`, copying only when they are not contiguous.
func withContiguousBytes<Bytes: Collection<UInt8>, R>(
    _ bytes: Bytes,
    _ body: (UnsafeRawBufferPointer) throws -> R
) rethrows -> R {
    if let result = try bytes.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return try Array(bytes).withUnsafeBytes(body)
}
