import CRingwaySodium

/// An Ed25519 signing key (RFC 8032), held as its 32-byte seed plus libsodium's expanded form.
public struct Ed25519PrivateKey: Sendable {
    /// Length of a seed in bytes.
    public static let seedByteCount = 32

    /// The 32-byte seed; it alone recreates the key with ``init(seed:)``. Keep it secret.
    public let seed: [UInt8]
    /// The matching public key.
    public let publicKey: Ed25519PublicKey
    // libsodium's 64-byte secret key: seed followed by the public key.
    private let secretKey: [UInt8]

    /// Creates a key from fresh randomness.
    public init() {
        var seed = [UInt8](repeating: 0, count: Self.seedByteCount)
        SecureRandom.fill(&seed)
        // A 32-byte seed cannot fail to expand.
        try! self.init(seed: seed)
    }

    /// Recreates the key whose seed is `seed` (32 bytes).
    public init<Bytes: Collection<UInt8>>(seed bytes: Bytes) throws(CryptoError) {
        guard bytes.count == Self.seedByteCount else {
            throw .invalidKeyLength(expected: Self.seedByteCount, actual: bytes.count)
        }
        Sodium.ensureInitialized()
        let seed = Array(bytes)
        var publicBytes = [UInt8](repeating: 0, count: Ed25519PublicKey.byteCount)
        var secretBytes = [UInt8](repeating: 0, count: 64)
        let status = seed.withUnsafeBufferPointer { seedBuffer in
            ringway_ed25519_seed_keypair(&publicBytes, &secretBytes, seedBuffer.baseAddress!)
        }
        guard status == 0 else { throw .keyGenerationFailed }
        self.seed = seed
        self.secretKey = secretBytes
        self.publicKey = try Ed25519PublicKey(rawRepresentation: publicBytes)
    }

    /// Writes the 64-byte signature of `message` into `signature`, which must hold 64 bytes.
    public func sign(_ message: UnsafeRawBufferPointer, into signature: UnsafeMutableRawBufferPointer) {
        precondition(signature.count >= Ed25519PublicKey.signatureByteCount, "signature buffer too small")
        Sodium.ensureInitialized()
        secretKey.withUnsafeBufferPointer { key in
            let status = ringway_ed25519_sign(
                signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? key.baseAddress!,
                message.count,
                key.baseAddress!
            )
            precondition(status == 0, "Ed25519 signing failed")
        }
    }

    /// The 64-byte signature of `message`.
    public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Ed25519PublicKey.signatureByteCount) { buffer, count in
            sign(message, into: UnsafeMutableRawBufferPointer(buffer))
            count = Ed25519PublicKey.signatureByteCount
        }
    }

    /// The 64-byte signature of `message`.
    public func signature<Message: Collection<UInt8>>(for message: Message) -> [UInt8] {
        withContiguousBytes(message) { signature(for: $0) }
    }
}
