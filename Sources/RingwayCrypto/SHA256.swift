import CRingwaySodium

/// SHA-256 (FIPS 180-4) through libsodium.
public enum SHA256 {
    /// Length of a digest in bytes.
    public static let byteCount = 32

    /// The digest of `message`.
    public static func hash(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensureInitialized()
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
            let input = message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(buffer.baseAddress!)
            ringway_sha256(buffer.baseAddress!, input, message.count)
            count = byteCount
        }
    }

    /// The digest of `message`.
    public static func hash<Message: Collection<UInt8>>(_ message: Message) -> [UInt8] {
        withContiguousBytes(message) { hash($0) }
    }
}
