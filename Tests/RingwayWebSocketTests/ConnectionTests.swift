import RingwayWebSocket
import Testing

@Suite("WebSocket connection")
struct ConnectionTests {
    @Test func reassemblesFragmentsWithInterleavedControlFrames() {
        let input = clientFrame(fin: false, .text, utf8("Hel"))
            + clientFrame(.ping, utf8("p1"))
            + clientFrame(fin: false, .continuation, utf8("lo, "))
            + clientFrame(.pong, utf8("p2"))
            + clientFrame(.continuation, utf8("world"))
            + clientFrame(fin: false, .binary, [1, 2])
            + clientFrame(.continuation, [3])
        let result = receive(input)
        #expect(result.events == [.ping(utf8("p1")), .pong(utf8("p2")), .text("Hello, world"), .binary([1, 2, 3])])
        #expect(result.outbound == serverFrame(.pong, utf8("p1")))
    }

    @Test func textSplitInsideACodePointAcrossFragments() {
        let text = Array("✓ check 😀".utf8)
        let input = clientFrame(fin: false, .text, Array(text[..<1])) + clientFrame(fin: false, .continuation, Array(text[1..<11]))
            + clientFrame(.continuation, Array(text[11...]))
        #expect(receive(input).events == [.text("✓ check 😀")])
    }

    @Test func automaticPongAnswersTheLatestPing() {
        let pings = clientFrame(.ping, utf8("one")) + clientFrame(.ping, utf8("two"))
        // Both pings in one read: only the latest is answered (RFC 6455 §5.5.3).
        let together = run(pings)
        #expect(together.events == [.ping(utf8("one")), .ping(utf8("two"))])
        #expect(together.outbound == serverFrame(.pong, utf8("two")))
        // Drained between the pings: each is answered.
        let apart = run(pings, chunk: clientFrame(.ping, utf8("one")).count)
        #expect(apart.outbound == serverFrame(.pong, utf8("one")) + serverFrame(.pong, utf8("two")))
        let disabled = run(clientFrame(.ping, utf8("x")), configuration: WebSocketConfiguration(automaticPong: false))
        #expect(disabled.outbound.isEmpty)
    }

    @Test func peerInitiatedCloseIsEchoed() {
        let result = receive(clientFrame(.close, closePayload(1000, "bye")) + clientFrame(.text, utf8("ignored")))
        #expect(result.events == [.close(1000, "bye")])
        #expect(result.finished)
        #expect(result.outbound == serverFrame(.close, closePayload(1000)))
        let empty = receive(clientFrame(.close, []))
        #expect(empty.events == [.close(1005, "")])
        #expect(empty.outbound == serverFrame(.close, []))
    }

    @Test func locallyInitiatedCloseWaitsForThePeer() throws {
        var connection = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try connection.close(code: .goingAway, reason: "shutdown", into: &out)
        #expect(out == serverFrame(.close, closePayload(1001, "shutdown")))
        #expect(!connection.isOpen)
        #expect(throws: WebSocketSendError(.closing)) { try connection.writeText("late", into: &out) }
        #expect(throws: WebSocketSendError(.closing)) { try connection.close(into: &out) }
        // Data still arrives until the peer's close; no echo is queued for it.
        connection.feed(clientFrame(.text, utf8("in flight")) + clientFrame(.close, closePayload(1001)))
        #expect(connection.next() == .text(ArraySlice(utf8("in flight"))))
        #expect(connection.next() == .close(code: .goingAway, reason: ""))
        #expect(connection.next() == .finished)
        #expect(!connection.hasPendingOutbound)
    }

    @Test func closeReasonIsTruncatedToFit() throws {
        var connection = WebSocketConnection(role: .server)
        var out: [UInt8] = []
        try connection.close(code: .normalClosure, reason: String(repeating: "é", count: 100), into: &out)
        #expect(out[1] == 124)
        #expect(out.count == 2 + 124)
    }

    @Test func endOfInputWithoutCloseIs1006() {
        #expect(receive(clientFrame(.text, utf8("hi")), eof: true).events == [.text("hi"), .close(1006, "")])
        #expect(receive(Array(clientFrame(.text, utf8("hi")).prefix(4)), eof: true).events == [.close(1006, "")])
    }

    @Test func clientMasksAndServerUnmasks() throws {
        var client = WebSocketConnection(role: .client)
        var wire: [UInt8] = []
        try client.writeText("hello from the client", mask: WebSocketMask(0xDE, 0xAD, 0xBE, 0xEF), into: &wire)
        try client.writeBinary([0, 1, 2], mask: WebSocketMask(1, 1, 1, 1), into: &wire)
        try client.writePing(utf8("hb"), mask: WebSocketMask(2, 2, 2, 2), into: &wire)
        try client.close(code: .normalClosure, mask: WebSocketMask(3, 3, 3, 3), into: &wire)
        let server = receive(wire)
        #expect(server.events == [.text("hello from the client"), .binary([0, 1, 2]), .ping(utf8("hb")), .close(1000, "")])

        // The server's echo reaches the client, which completes its close handshake.
        var clientIn = client
        clientIn.feed(server.outbound)
        #expect(clientIn.next() == .pong(ArraySlice(utf8("hb"))))
        #expect(clientIn.next() == .close(code: .normalClosure, reason: ""))
        #expect(clientIn.next() == .finished)
    }

    @Test func unmaskingLeavesTheCallersArrayAsItWas() {
        // Fed whole while nothing is buffered, the array is taken without a copy: unmasking in
        // place must still not reach the bytes the caller keeps.
        var server = WebSocketConnection(role: .server)
        let frame = clientFrame(.text, utf8("kept by the caller"))
        let before = frame
        server.feed(frame)
        #expect(server.next() == .text(ArraySlice(utf8("kept by the caller"))))
        #expect(frame == before)
        // What is fed next, in two parts, still reassembles.
        let second = clientFrame(.text, utf8("second"))
        server.feed(Array(second.prefix(3)))
        #expect(server.next() == .needMoreData)
        server.feed(Array(second.dropFirst(3)))
        #expect(server.next() == .text(ArraySlice(utf8("second"))))
    }

    @Test func clientAutomaticRepliesAreMasked() {
        let result = receive(serverFrame(.ping, utf8("x")) + serverFrame(.close, closePayload(1001)), role: .client)
        #expect(result.events == [.ping(utf8("x")), .close(1001, "")])
        var expected: [UInt8] = []
        WebSocketFrameEncoder.writeFrame(opcode: .pong, payload: utf8("x"), mask: WebSocketMask(1, 2, 3, 4), into: &expected)
        WebSocketFrameEncoder.writeFrame(opcode: .close, payload: closePayload(1001), mask: WebSocketMask(1, 2, 3, 4), into: &expected)
        #expect(run(serverFrame(.ping, utf8("x")) + serverFrame(.close, closePayload(1001)), role: .client).outbound == expected)
    }

    @Test func unfragmentedMessageIsASliceOfTheInput() {
        var connection = WebSocketConnection(role: .server)
        connection.feed(clientFrame(.binary, [UInt8](repeating: 9, count: 200)))
        guard case .binary(let payload) = connection.next() else { Issue.record("expected binary"); return }
        #expect(payload.count == 200)
        #expect(payload.startIndex == 8)
    }
}
