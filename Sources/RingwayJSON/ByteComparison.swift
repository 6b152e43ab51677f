#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// True when both buffers hold the same bytes; `memcmp` rather than a generic element loop,
    /// because this runs for every member name on the hot paths.
    @inline(__always)
    func sameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        guard count > 0 else { return true }
        return memcmp(baseAddress!, other.baseAddress!, count) == 0
    }
}

extension String {
    /// True when both strings have the same UTF-8 bytes, that is the same code points. Unlike
    /// `==` this does not treat canonically equivalent strings (`"é"`, `"e\u{301}"`) as equal,
    /// which JSON member names and values require (RFC 8259 section 8.3).
    @inline(__always)
    func hasSameUTF8(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        let fast: Bool?? = utf8.withContiguousStorageIfAvailable { lhs in
            other.utf8.withContiguousStorageIfAvailable { rhs in
                UnsafeRawBufferPointer(lhs).sameBytes(as: UnsafeRawBufferPointer(rhs))
            }
        }
        if let fast, let result = fast { return result }
        return utf8.elementsEqual(other.utf8)
    }
}
