import RingwayTLS
import Testing

@Suite("Application data and closing")
struct DataTransferTests {
    private func established(_ version: TLSVersion = .v1_3, chunkSize: Int = 16 << 10) throws -> TLSPair {
        var server = Fixtures.localhost.serverConfiguration
        server.maximumVersion = version
        let pair = try TLSPair(
            server: server,
            client: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))),
            chunkSize: chunkSize)
        pair.run()
        try #require(pair.isEstablished)
        return pair
    }

    @Test("Data flows both ways, including 1 MiB payloads", arguments: [TLSVersion.v1_3, .v1_2])
    func bothWays(version: TLSVersion) throws {
        let pair = try established(version)
        let request = Array("GET /ws/v1/peers HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        try pair.client.connection.writePlaintext(request)
        pair.run()
        #expect(pair.server.received == request)

        let large = Fixtures.bytes(1 << 20, seed: 1)
        try pair.server.connection.writePlaintext(large)
        try pair.client.connection.writePlaintext(large.reversed())
        pair.run()
        #expect(pair.client.error == nil)
        #expect(pair.server.error == nil)
        #expect(pair.client.received == large)
        #expect(pair.server.received == request + large.reversed())
    }

    @Test("Plaintext arrives intact when ciphertext is fed in odd-sized pieces")
    func oddChunks() throws {
        let pair = try established(chunkSize: 7)
        let payload = Fixtures.bytes(100_000, seed: 2)
        try pair.client.connection.writePlaintext(payload)
        pair.run()
        #expect(pair.server.received == payload)
    }

    @Test("readPlaintext honours maxBytes and the raw-buffer variant reads in place")
    func boundedReads() throws {
        let pair = try established()
        let payload = Fixtures.bytes(40_000, seed: 3)
        try pair.client.connection.writePlaintext(payload)
        var wire: [UInt8] = []
        pair.client.connection.drainCiphertext(into: &wire)
        let server = pair.server.connection
        try server.feedCiphertext(wire)
        var received: [UInt8] = []
        #expect(try server.readPlaintext(into: &received, maxBytes: 1000) == .bytes(1000))
        var scratch = [UInt8](repeating: 0, count: 5000)
        let result = try scratch.withUnsafeMutableBytes { try server.readPlaintext(into: $0) }
        #expect(result == .bytes(5000))
        received += scratch
        while case .bytes = try server.readPlaintext(into: &received, maxBytes: 3000) {}
        #expect(received == payload)
    }

    @Test("Ciphertext drains into a caller-owned fixed buffer")
    func drainIntoRawBuffer() throws {
        let pair = try established()
        try pair.client.connection.writePlaintext(Fixtures.bytes(3000, seed: 4))
        let pending = pair.client.connection.pendingCiphertextCount
        var fixed = [UInt8](repeating: 0, count: 1000)
        let first = fixed.withUnsafeMutableBytes { pair.client.connection.drainCiphertext(into: $0) }
        #expect(first == 1000)
        #expect(pair.client.connection.pendingCiphertextCount == pending - 1000)
        try pair.server.connection.feedCiphertext(fixed)
        pair.run()
        #expect(pair.server.received == Fixtures.bytes(3000, seed: 4))
    }

    @Test("Large bursts fed at once, and buffers released after every use, keep the stream intact")
    func bufferRelease() throws {
        for threshold in [0, 64 << 10] {
            var server = Fixtures.localhost.serverConfiguration
            server.bufferTrimThreshold = threshold
            var client = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
            client.bufferTrimThreshold = threshold
            // 300 KiB per move: far above the threshold, so emptied buffers are replaced.
            let pair = try TLSPair(server: server, client: client, chunkSize: 300 << 10)
            pair.run()
            try #require(pair.isEstablished)
            var expectedAtServer: [UInt8] = []
            var expectedAtClient: [UInt8] = []
            for round in 0..<4 {
                let up = Fixtures.bytes(200_000 + round, seed: UInt64(10 + round))
                let down = Fixtures.bytes(1 + round * 1000, seed: UInt64(20 + round))
                try pair.client.connection.writePlaintext(up)
                try pair.server.connection.writePlaintext(down)
                expectedAtServer += up
                expectedAtClient += down
                pair.run()
            }
            try pair.client.connection.shutdown()
            pair.run()
            #expect(pair.server.received == expectedAtServer)
            #expect(pair.client.received == expectedAtClient)
            #expect(pair.server.sawClose)
            #expect(pair.client.error == nil && pair.server.error == nil)
        }
    }

    @Test("close_notify both ways, with data sent just before it", arguments: [TLSVersion.v1_3, .v1_2])
    func closeNotify(version: TLSVersion) throws {
        let pair = try established(version)
        let client = pair.client.connection
        let server = pair.server.connection
        try client.writePlaintext(Array("bye".utf8))
        try client.shutdown()
        #expect(client.isCloseNotifySent)
        #expect(client.handshakeState == .haveOutput)
        pair.run()
        #expect(pair.server.received == Array("bye".utf8))
        #expect(pair.server.sawClose)
        #expect(server.isCloseNotifyReceived)
        #expect(server.handshakeState == .closed)
        // Half-closed: the server may still answer before closing its side.
        try server.writePlaintext(Array("ok".utf8))
        try server.shutdown()
        pair.run()
        #expect(pair.client.received == Array("ok".utf8))
        #expect(pair.client.sawClose)
        for side in [client, server] {
            #expect(side.isCloseNotifySent)
            #expect(side.isCloseNotifyReceived)
            #expect(side.handshakeState == .closed)
        }
        #expect(pair.client.error == nil)
        #expect(pair.server.error == nil)
        // Reading after close keeps reporting it; writing after shutdown is local misuse.
        var sink: [UInt8] = []
        #expect(try client.readPlaintext(into: &sink) == .closed)
        let error = #expect(throws: TLSError.self) { try client.writePlaintext(Array("x".utf8)) }
        #expect(error?.kind == .invalidState)
        #expect(error?.isRemote == false)
        // A second shutdown sends nothing more.
        try client.shutdown()
        #expect(!client.hasPendingCiphertext)
    }

    @Test("End of input after close_notify is a clean close; without it, a truncation error")
    func endOfInput() throws {
        let clean = try established()
        try clean.client.connection.shutdown()
        clean.run()
        clean.server.connection.feedEndOfInput()
        var sink: [UInt8] = []
        #expect(try clean.server.connection.readPlaintext(into: &sink) == .closed)

        let truncated = try established()
        try truncated.client.connection.writePlaintext(Array("partial".utf8))
        truncated.run()
        truncated.server.connection.feedEndOfInput()
        let error = #expect(throws: TLSError.self) { try truncated.server.connection.readPlaintext(into: &sink) }
        #expect(error?.kind == .unexpectedEOF)
        #expect(error?.isRemote == true)
        #expect(truncated.server.received == Array("partial".utf8))
        let fed = #expect(throws: TLSError.self) { try truncated.server.connection.feedCiphertext([1, 2, 3]) }
        #expect(fed?.kind == .invalidState)
    }

    @Test("End of input during the handshake is an unexpected EOF")
    func endOfInputDuringHandshake() throws {
        let pair = try TLSPair()
        try pair.client.connection.handshake()
        pair.client.connection.feedEndOfInput()
        let error = #expect(throws: TLSError.self) { try pair.client.connection.handshake() }
        #expect(error?.kind == .unexpectedEOF)
    }

    @Test("Shutdown during the handshake abandons it without sending anything")
    func shutdownDuringHandshake() throws {
        let pair = try TLSPair()
        try pair.client.connection.handshake()
        var wire: [UInt8] = []
        pair.client.connection.drainCiphertext(into: &wire)
        try pair.client.connection.shutdown()
        #expect(!pair.client.connection.hasPendingCiphertext)
        #expect(pair.client.connection.handshakeState == .closed)
        var sink: [UInt8] = []
        #expect(try pair.client.connection.readPlaintext(into: &sink) == .closed)
    }

    @Test("Writing before the handshake completes is refused")
    func writeTooEarly() throws {
        let pair = try TLSPair()
        let error = #expect(throws: TLSError.self) { try pair.client.connection.writePlaintext(Array("early".utf8)) }
        #expect(error?.kind == .invalidState)
        #expect(!pair.client.connection.hasPendingCiphertext)
    }
}
