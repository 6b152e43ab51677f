import RingwayWebSocket
import Testing

@Suite("Masking and UTF-8 validation")
struct MaskingAndUTF8Tests {
    private func naiveMask(_ bytes: [UInt8], _ key: [UInt8], phase: Int) -> [UInt8] {
        bytes.enumerated().map { $1 ^ key[($0 + phase) % 4] }
    }

    @Test func wordAtATimeMaskingMatchesTheDefinition() {
        let key: [UInt8] = [0xA1, 0x02, 0xF3, 0x44]
        let mask = WebSocketMask(key)
        for length in [0, 1, 3, 7, 8, 9, 31, 32, 33, 64, 100, 1000] {
            for phase in 0..<4 {
                for offset in 0..<3 {
                    let original = (0..<(length + offset)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
                    var buffer = original
                    buffer.withUnsafeMutableBytes { raw in
                        mask.apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]), phase: phase)
                    }
                    #expect(Array(buffer[..<offset]) == Array(original[..<offset]))
                    #expect(Array(buffer[offset...]) == naiveMask(Array(original[offset...]), key, phase: phase),
                            "length \(length) phase \(phase) offset \(offset)")
                }
            }
        }
    }

    @Test func maskingTwiceRestoresTheInput() {
        let original = (0..<777).map { UInt8(truncatingIfNeeded: $0) }
        var buffer = original
        let mask = WebSocketMask(9, 8, 7, 6)
        buffer.withUnsafeMutableBytes { mask.apply(to: $0) }
        #expect(buffer != original)
        buffer.withUnsafeMutableBytes { mask.apply(to: $0) }
        #expect(buffer == original)
    }

    private func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { UTF8Validator.isValid($0) }
    }

    @Test func acceptsValidUTF8() {
        for text in ["", "plain ascii that is longer than thirty-two bytes for the fast path", "é", "✓", "😀", "κόσμε", "\u{10FFFF}", "\u{D7FF}\u{E000}"] {
            #expect(isValid(Array(text.utf8)), "\(text)")
        }
    }

    @Test func refusesInvalidUTF8() {
        let invalid: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0xC3], [0xE2, 0x9C], [0xF0, 0x9F, 0x98],
            [0xC3, 0x41], Array("0123456789abcdef0123456789abcdef".utf8) + [0xC3, 0x28],
        ]
        for bytes in invalid {
            #expect(!isValid(bytes), "\(bytes)")
        }
    }

    @Test func validatesAcrossEverySplitPoint() {
        let text = Array("a✓😀é€b".utf8)
        for split in 0...text.count {
            var validator = UTF8Validator()
            let first = text[..<split].withUnsafeBytes { validator.validate($0) }
            let second = text[split...].withUnsafeBytes { validator.validate($0) }
            #expect(first && second && validator.isAtBoundary, "split \(split)")
        }
        var truncated = UTF8Validator()
        #expect(([0xE2, 0x9C] as [UInt8]).withUnsafeBytes { truncated.validate($0) })
        #expect(!truncated.isAtBoundary)
    }

    @Test func findsNonASCIIAtEveryOffsetOfTheFastPath() {
        for prefix in 0..<70 {
            let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: prefix)
            let tail = [UInt8](repeating: UInt8(ascii: "z"), count: 40)
            #expect(isValid(ascii + Array("é✓😀".utf8) + tail), "valid, prefix \(prefix)")
            #expect(!isValid(ascii + [0xFF] + tail), "0xFF, prefix \(prefix)")
            #expect(!isValid(ascii + [0xC3] + tail), "truncated, prefix \(prefix)")
            #expect(!isValid(ascii + [0xE0, 0x80, 0x80] + tail), "overlong, prefix \(prefix)")
        }
    }
}
