import CRingwaySodium

/// Cryptographically secure random bytes from libsodium (the kernel's `getrandom`).
public enum SecureRandom {
    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        Sodium.ensureInitialized()
        ringway_random_bytes(base.assumingMemoryBound(to: UInt8.self), buffer.count)
    }

    /// Overwrites every element of `bytes` with random bytes.
    public static func fill(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { fill($0) }
    }

    /// `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }
}

/// A `RandomNumberGenerator` backed by ``SecureRandom``, for `shuffled(using:)` and the like.
public struct SecureRandomNumberGenerator: RandomNumberGenerator, Sendable {
    /// Creates a generator; it has no state of its own.
    public init() {}

    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { SecureRandom.fill($0) }
        return value
    }
}

/// Compares secrets without leaking where they differ through timing.
public enum ConstantTime {
    /// True when `lhs` and `rhs` have the same length and bytes.
    public static func equals<A: Collection<UInt8>, B: Collection<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return withContiguousBytes(lhs) { left in
            withContiguousBytes(rhs) { right in
                ringway_constant_time_compare(
                    left.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    right.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    left.count
                ) == 0
            }
        }
    }
}
