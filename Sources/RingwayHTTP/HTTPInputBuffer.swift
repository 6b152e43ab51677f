/// Bytes received but not yet consumed by a parser. Consumed bytes are dropped lazily so that
/// a feed usually appends into capacity that is already there.
struct HTTPInputBuffer: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var readIndex = 0

    var readableCount: Int { bytes.count - readIndex }

    mutating func append(_ data: some Collection<UInt8>) {
        compact()
        bytes.append(contentsOf: data)
    }

    mutating func consume(_ count: Int) {
        assert(count <= readableCount)
        readIndex += count
    }

    /// The next `count` readable bytes as a slice sharing this buffer's storage, consumed.
    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let slice = bytes[readIndex..<(readIndex + count)]
        readIndex += count
        return slice
    }

    mutating func takeAll() -> [UInt8] {
        let rest = Array(bytes[readIndex...])
        bytes.removeAll(keepingCapacity: true)
        readIndex = 0
        return rest
    }

    func byte(at offset: Int) -> UInt8 {
        bytes[readIndex + offset]
    }

    func withReadableBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = bytes.withUnsafeBytes { raw in
            do throws(E) {
                return .success(try body(UnsafeRawBufferPointer(rebasing: raw[readIndex...])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func compact() {
        if readIndex == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= bytes.count {
            // Moving the tail is cheap once at least half of the buffer is dead.
            bytes.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
