/// A 4-byte masking key (RFC 6455 §5.3). The client picks a fresh unpredictable key for every
/// frame; this module never generates one, so the caller supplies it.
public struct WebSocketMask: Sendable, Hashable {
    /// The key bytes in wire order.
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        bytes = (b0, b1, b2, b3)
    }

    /// A key from exactly four bytes.
    public init(_ key: some Collection<UInt8>) {
        precondition(key.count == 4, "a masking key is 4 bytes")
        var iterator = key.makeIterator()
        bytes = (iterator.next()!, iterator.next()!, iterator.next()!, iterator.next()!)
    }

    public static func == (lhs: WebSocketMask, rhs: WebSocketMask) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.0)
        hasher.combine(bytes.1)
        hasher.combine(bytes.2)
        hasher.combine(bytes.3)
    }

    /// XORs `buffer` with the key, in place, as if the key started `phase` bytes earlier
    /// (`phase` = bytes of the same payload already masked). Masking and unmasking are the
    /// same operation.
    ///
    /// Works a word at a time: the key is repeated into a 64-bit word, rotated by `phase`, and
    /// applied to 32 bytes per loop step, so the cost is close to that of a memory copy.
    public func apply(to buffer: UnsafeMutableRawBufferPointer, phase: Int = 0) {
        guard let base = buffer.baseAddress else { return }
        let count = buffer.count
        let word = repeatedWord(startingAt: phase)
        var index = 0
        while count - index >= 32 {
            let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
            let c = base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
            let d = base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
            base.storeBytes(of: a ^ word, toByteOffset: index, as: UInt64.self)
            base.storeBytes(of: b ^ word, toByteOffset: index + 8, as: UInt64.self)
            base.storeBytes(of: c ^ word, toByteOffset: index + 16, as: UInt64.self)
            base.storeBytes(of: d ^ word, toByteOffset: index + 24, as: UInt64.self)
            index += 32
        }
        while count - index >= 8 {
            let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            base.storeBytes(of: a ^ word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        // Every full word keeps the phase (8 is a multiple of 4), so the tail continues at `phase`.
        while index < count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self) ^ keyByte(phase &+ index)
            base.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }

    @inline(__always)
    func keyByte(_ index: Int) -> UInt8 {
        switch index & 3 {
        case 0: bytes.0
        case 1: bytes.1
        case 2: bytes.2
        default: bytes.3
        }
    }

    /// The key repeated twice in memory order starting at key byte `start`, so that XOR with
    /// a word loaded from memory is correct on either endianness.
    @inline(__always)
    private func repeatedWord(startingAt start: Int) -> UInt64 {
        var half: UInt32 = 0
        withUnsafeMutableBytes(of: &half) { raw in
            raw[0] = keyByte(start)
            raw[1] = keyByte(start &+ 1)
            raw[2] = keyByte(start &+ 2)
            raw[3] = keyByte(start &+ 3)
        }
        return UInt64(half) | UInt64(half) << 32
    }
}
