import RingwayWebSocket
import Testing

/// Each violation fails the connection with its RFC 6455 close code, queued as a close frame.
@Suite("WebSocket protocol violations")
struct ProtocolErrorTests {
    private func expectFailure(
        _ input: [UInt8], _ code: UInt16, role: WebSocketConnection.Role = .server,
        configuration: WebSocketConfiguration = WebSocketConfiguration(), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let result = receive(input, role: role, configuration: configuration, sourceLocation: sourceLocation)
        #expect(result.events.last == .protocolError(code), sourceLocation: sourceLocation)
        #expect(result.finished, sourceLocation: sourceLocation)
        var expectedClose: [UInt8] = []
        if role == .server {
            WebSocketFrameEncoder.writeClose(code: WebSocketCloseCode(rawValue: code), mask: nil, into: &expectedClose)
            #expect(result.outbound.suffix(expectedClose.count) == expectedClose[...], sourceLocation: sourceLocation)
        }
    }

    @Test func reservedBits() {
        for bits: UInt8 in [0x40, 0x20, 0x10] {
            expectFailure(rawClientFrame(0x81 | bits, utf8("x")), 1002)
        }
    }

    @Test func unknownOpcodes() {
        for opcode: UInt8 in [0x3, 0x4, 0x7, 0xB, 0xF] {
            expectFailure(rawClientFrame(0x80 | opcode, []), 1002)
        }
    }

    @Test func maskingMustMatchTheRole() {
        expectFailure(serverFrame(.text, utf8("unmasked")), 1002, role: .server)
        expectFailure(clientFrame(.text, utf8("masked")), 1002, role: .client)
    }

    @Test func controlFrameRules() {
        // 126-byte ping (16-bit length), a fragmented ping, a fragmented close.
        expectFailure([0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 126), 1002)
        expectFailure(rawClientFrame(0x09, utf8("p")), 1002)
        expectFailure(rawClientFrame(0x08, closePayload(1000)), 1002)
    }

    @Test func invalidClosePayloads() {
        expectFailure(clientFrame(.close, [0x03]), 1002)
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            expectFailure(clientFrame(.close, closePayload(code)), 1002)
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999] {
            #expect(receive(clientFrame(.close, closePayload(code))).events == [.close(code, "")], "code \(code)")
        }
        expectFailure(clientFrame(.close, closePayload(1000) + [0xC3, 0x28]), 1007)
    }

    @Test func sixtyFourBitLengthWithTheTopBitSet() {
        expectFailure([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1002)
    }

    @Test func fragmentationRules() {
        expectFailure(clientFrame(.continuation, utf8("orphan")), 1002)
        expectFailure(clientFrame(fin: false, .text, utf8("a")) + clientFrame(.text, utf8("b")), 1002)
        expectFailure(clientFrame(fin: false, .binary, [1]) + clientFrame(fin: false, .binary, [2]), 1002)
    }

    @Test func invalidUTF8InText() {
        expectFailure(clientFrame(.text, [0x48, 0xC3, 0x28]), 1007)
        expectFailure(clientFrame(.text, [0xED, 0xA0, 0x80]), 1007)
        // Invalid in the first fragment: refused before the message ends.
        let early = receive(clientFrame(fin: false, .text, [0xFF]))
        #expect(early.events == [.protocolError(1007)])
        // Truncated code point at the end of the message.
        expectFailure(clientFrame(fin: false, .text, utf8("ok")) + clientFrame(.continuation, [0xE2, 0x9C]), 1007)
        // Binary messages are not UTF-8 checked.
        #expect(receive(clientFrame(.binary, [0xFF])).events == [.binary([0xFF])])
    }

    @Test func framesAboveTheFrameLimitAreRefusedFromTheHeader() {
        let configuration = WebSocketConfiguration(maxFrameSize: 100, maxMessageSize: 1000)
        // Only the header of a 64 KiB frame: refused without waiting for the payload.
        let header = Array(clientFrame(.binary, [UInt8](repeating: 0, count: 65536)).prefix(14))
        expectFailure(header, 1009, configuration: configuration)
        expectFailure(clientFrame(.binary, [UInt8](repeating: 0, count: 101)), 1009, configuration: configuration)
        #expect(receive(clientFrame(.binary, [UInt8](repeating: 0, count: 100)), configuration: configuration).events.count == 1)
    }

    @Test func messagesAboveTheMessageLimitAreRefused() {
        let configuration = WebSocketConfiguration(maxFrameSize: 100, maxMessageSize: 150)
        let fragments = clientFrame(fin: false, .text, utf8(String(repeating: "a", count: 100)))
            + clientFrame(fin: false, .continuation, utf8(String(repeating: "b", count: 50)))
            + clientFrame(.continuation, utf8("c"))
        expectFailure(fragments, 1009, configuration: configuration)
        let exact = clientFrame(fin: false, .text, utf8(String(repeating: "a", count: 100))) + clientFrame(.continuation, utf8(String(repeating: "b", count: 50)))
        #expect(receive(exact, configuration: configuration).events.count == 1)
    }

    @Test func bufferedBytesAreLimited() {
        let configuration = WebSocketConfiguration(maxFrameSize: 1000, maxMessageSize: 1000, maxBufferedBytes: 64)
        var connection = WebSocketConnection(role: .server, configuration: configuration)
        connection.feed([UInt8](repeating: 0x82, count: 65))
        #expect(connection.next() == .protocolError(.messageTooBig))
        var out: [UInt8] = []
        connection.drainOutbound(into: &out)
        #expect(out == serverFrame(.close, closePayload(1009)))
        #expect(connection.next() == .finished)
    }

    @Test func afterAFailureNothingMoreIsRead() {
        var connection = WebSocketConnection(role: .server)
        connection.feed(rawClientFrame(0xC1, []) + clientFrame(.text, utf8("after")))
        #expect(connection.next() == .protocolError(.protocolError))
        #expect(connection.next() == .finished)
        connection.feed(clientFrame(.text, utf8("more")))
        #expect(connection.next() == .finished)
    }
}
