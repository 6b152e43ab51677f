import RingwayCrypto
import RingwayJSON

extension Envelope {
    /// This envelope with ``signature`` set to `key`'s Ed25519 signature (base64url) of
    /// ``signingInput``.
    public func signed(with key: Ed25519PrivateKey) -> Envelope {
        var scratch: [UInt8] = []
        return signed(with: key, scratch: &scratch)
    }

    /// Like ``signed(with:)``, writing the canonical form into `scratch` so that a caller signing
    /// many envelopes can reuse one buffer.
    public func signed(with key: Ed25519PrivateKey, scratch: inout [UInt8]) -> Envelope {
        scratch.removeAll(keepingCapacity: true)
        writeSigningInput(into: &scratch)
        var signatureBytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let encoded = withUnsafeMutableBytes(of: &signatureBytes) { signatureBuffer in
            scratch.withUnsafeBytes { key.sign($0, into: signatureBuffer) }
            return Base64URL.encode(UnsafeRawBufferPointer(signatureBuffer))
        }
        var copy = self
        copy.signature = encoded
        return copy
    }

    /// Checks ``signature`` against ``signingInput`` for an envelope built locally. For received
    /// bytes use ``EnvelopeVerifier``, which canonicalizes the document exactly as it was sent
    /// (a `message_id` written in uppercase, for instance, is signed as written).
    public func verifySignature(publicKey: Ed25519PublicKey) throws(EnvelopeError) {
        guard let signature else { throw EnvelopeError(.invalidSignature) }
        try EnvelopeVerifier.check(signature: signature, message: signingInput, publicKey: publicKey)
    }
}

/// Verifies the signatures of received envelopes: Ed25519 by the sender's key over the RFC 8785
/// canonical JSON of the document as received, minus its `signature` member.
public enum EnvelopeVerifier {
    /// Decodes `bytes` strictly, verifies the signature with `publicKey`, and returns the envelope.
    /// Errors: the decoder's first (`TOO_LARGE`, `UNSUPPORTED_TYPE`, `MALFORMED`, a missing
    /// `signature` included), then `INVALID_SIGNATURE` when the signature is not 64 bytes of
    /// base64url or base64, or does not verify.
    public static func verify(
        _ bytes: UnsafeRawBufferPointer,
        publicKey: Ed25519PublicKey,
        limits: EnvelopeLimits = .default
    ) throws(EnvelopeError) -> Envelope {
        let (envelope, document) = try EnvelopeDecoder(limits: limits).decodeDocument(bytes)
        try verify(document: document, publicKey: publicKey)
        return envelope
    }

    /// Verifies the signature of an already-parsed envelope document.
    public static func verify(document: JSONObject, publicKey: Ed25519PublicKey) throws(EnvelopeError) {
        guard case .string(let signature)? = document["signature"] else { throw EnvelopeError(.invalidSignature) }
        var canonical: [UInt8] = []
        canonical.reserveCapacity(512)
        JSONCanonicalizer.writeObject(document, excluding: "signature", into: &canonical)
        try check(signature: signature, message: canonical, publicKey: publicKey)
    }

    static func check(signature: String, message: [UInt8], publicKey: Ed25519PublicKey) throws(EnvelopeError) {
        guard let signatureBytes = try? Base64URL.decode(signature),
              signatureBytes.count == Ed25519PublicKey.signatureByteCount,
              publicKey.isValidSignature(signatureBytes, for: message) else {
            throw EnvelopeError(.invalidSignature)
        }
    }
}
