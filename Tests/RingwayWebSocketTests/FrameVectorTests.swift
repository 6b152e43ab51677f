import RingwayWebSocket
import Testing

/// The examples of RFC 6455 §5.7, decoded (whole and byte by byte) and encoded.
@Suite("RFC 6455 §5.7 frame examples")
struct FrameVectorTests {
    static let mask = WebSocketMask(0x37, 0xFA, 0x21, 0x3D)

    @Test func singleFrameUnmaskedText() {
        let frame: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        #expect(receive(frame, role: .client).events == [.text("Hello")])
        #expect(serverFrame(.text, utf8("Hello")) == frame)
    }

    @Test func singleFrameMaskedText() {
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(receive(frame, role: .server).events == [.text("Hello")])
        #expect(clientFrame(.text, utf8("Hello"), mask: Self.mask) == frame)
    }

    @Test func fragmentedUnmaskedText() {
        let first: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C]
        let second: [UInt8] = [0x80, 0x02, 0x6C, 0x6F]
        #expect(receive(first + second, role: .client).events == [.text("Hello")])
        #expect(serverFrame(fin: false, .text, utf8("Hel")) == first)
        #expect(serverFrame(.continuation, utf8("lo")) == second)
    }

    @Test func unmaskedPingAndMaskedPong() {
        let ping: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        let pong: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(serverFrame(.ping, utf8("Hello")) == ping)
        #expect(clientFrame(.pong, utf8("Hello"), mask: Self.mask) == pong)
        #expect(receive(ping, role: .client).events == [.ping(utf8("Hello"))])
        #expect(receive(pong, role: .server).events == [.pong(utf8("Hello"))])
    }

    @Test func binary256BytesUses16BitLength() {
        let payload = (0..<256).map { UInt8(truncatingIfNeeded: $0) }
        let frame = serverFrame(.binary, payload)
        #expect(Array(frame.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(frame.count == 4 + 256)
        #expect(receive(frame, role: .client).events == [.binary(payload)])
    }

    @Test func binary64KiBUses64BitLength() {
        let payload = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = serverFrame(.binary, payload)
        #expect(Array(frame.prefix(10)) == [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
        #expect(run(frame, role: .client).events == [.binary(payload)])
        #expect(run(frame, role: .client, chunk: 1000).events == [.binary(payload)])
    }

    @Test func lengthEncodingBoundaries() {
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 125, masked: false) == 2)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 126, masked: false) == 4)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 65535, masked: true) == 8)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 65536, masked: true) == 14)
        for length in [0, 125, 126, 127, 65535, 65536] {
            let payload = [UInt8](repeating: 0x61, count: length)
            #expect(receive(clientFrame(.binary, payload), role: .server).events == [.binary(payload)], "length \(length)")
        }
    }

    @Test func nonMinimalLengthEncodingIsAccepted() {
        // "Hi" with a 16-bit length, then with a 64-bit length; RFC 6455 lets receivers accept both.
        let sixteen: [UInt8] = [0x81, 0xFE, 0x00, 0x02, 0, 0, 0, 0, 0x48, 0x69]
        let sixtyFour: [UInt8] = [0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x48, 0x69]
        #expect(receive(sixteen + sixtyFour).events == [.text("Hi"), .text("Hi")])
    }

    @Test func headerOnlyPlusPayloadEqualsAWholeFrame() throws {
        let payload = utf8(String(repeating: "x", count: 300))
        var connection = WebSocketConnection(role: .server)
        var split: [UInt8] = []
        try connection.writeFrameHeader(opcode: .text, payloadLength: payload.count, into: &split)
        #expect(split.count == 4)
        split += payload
        var whole: [UInt8] = []
        try connection.writeText(payload, into: &whole)
        #expect(split == whole)
    }
}
