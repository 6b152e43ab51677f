extension Array where Element == UInt8 {
    /// Grows the array by `count` bytes, lets `body` fill a prefix of them in place and returns
    /// the prefix length `body` reports; the unused tail is dropped again. Writing straight into
    /// the array avoids a bounce buffer (Array has no uninitialised append, hence the zero fill).
    @inline(__always)
    mutating func appendBytes(upTo count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        let start = self.count
        append(contentsOf: repeatElement(0, count: count))
        let written = withUnsafeMutableBytes { all in
            body(UnsafeMutableRawBufferPointer(rebasing: all[start..<start + count]))
        }
        precondition(written >= 0 && written <= count, "wrote outside the appended region")
        removeLast(count - written)
        return written
    }
}
