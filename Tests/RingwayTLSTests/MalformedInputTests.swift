import RingwayTLS
import Testing

@Suite("Malformed input")
struct MalformedInputTests {
    private func server() throws -> TLSConnection {
        try TLSConnection(context: TLSContext(configuration: Fixtures.localhost.serverConfiguration))
    }

    @Test("Garbage instead of a ClientHello is a readable handshake error, not a crash")
    func garbageToServer() throws {
        let server = try server()
        try server.feedCiphertext(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        let error = #expect(throws: TLSError.self) { try server.handshake() }
        #expect(error?.kind == .handshakeFailed)
        #expect(error?.isRemote == true)
        #expect(error?.reason.contains("SSL routines") == true)
        if let error {
            #expect(server.handshakeState == .failed(error) || server.handshakeState == .haveOutput)
            // Every later call reports the same failure.
            var sink: [UInt8] = []
            #expect(throws: error) { try server.readPlaintext(into: &sink) }
            #expect(throws: error) { try server.writePlaintext([1]) }
        }
    }

    @Test("Garbage instead of a ServerHello fails the client")
    func garbageToClient() throws {
        let context = try TLSContext(
            configuration: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        let client = try TLSConnection(context: context, serverName: "localhost")
        try client.handshake()
        try client.feedCiphertext([0x16, 0x03, 0x03, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF])
        let error = #expect(throws: TLSError.self) { try client.handshake() }
        #expect(error?.kind == .handshakeFailed)
    }

    @Test("Random input never crashes the server, whole or byte by byte", arguments: 0..<64)
    func randomInput(seed: Int) throws {
        var input = Fixtures.bytes(1 + seed * 37 % 3000, seed: UInt64(seed))
        if seed % 2 == 0 {
            // A plausible handshake record header makes the parser go further.
            input.replaceSubrange(0..<min(5, input.count), with: [0x16, 0x03, 0x01, 0x01, 0x00].prefix(input.count))
        }
        func outcome(chunk: Int) throws -> String {
            let server = try server()
            var index = 0
            while index < input.count {
                try server.feedCiphertext(input[index..<min(index + chunk, input.count)])
                index += chunk
                do {
                    try server.handshake()
                } catch {
                    #expect(error.isRemote)
                    return "error"
                }
            }
            return "\(server.handshakeState)"
        }
        #expect(try outcome(chunk: input.count) == outcome(chunk: 1))
    }

    @Test("A corrupted record after the handshake is a protocol violation", arguments: [TLSVersion.v1_3, .v1_2])
    func corruptedRecord(version: TLSVersion) throws {
        var configuration = Fixtures.localhost.serverConfiguration
        configuration.maximumVersion = version
        let pair = try TLSPair(
            server: configuration,
            client: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        pair.run()
        try #require(pair.isEstablished)
        try pair.client.connection.writePlaintext(Array("hello".utf8))
        var wire: [UInt8] = []
        pair.client.connection.drainCiphertext(into: &wire)
        wire[wire.count - 1] ^= 0x01
        try pair.server.connection.feedCiphertext(wire)
        var sink: [UInt8] = []
        let error = #expect(throws: TLSError.self) { try pair.server.connection.readPlaintext(into: &sink) }
        #expect(error?.kind == .protocolViolation)
        #expect(error?.reason.contains("bad record mac") == true)
        #expect(sink.isEmpty)
        // A bad_record_mac alert is queued for the peer.
        #expect(pair.server.connection.hasPendingCiphertext)
    }

    @Test("Feeding beyond maxBufferedCiphertext is refused until plaintext is read")
    func bufferLimit() throws {
        var configuration = Fixtures.localhost.serverConfiguration
        configuration.maxBufferedCiphertext = 1000
        let server = try TLSConnection(context: TLSContext(configuration: configuration))
        try server.feedCiphertext(Fixtures.bytes(600, seed: 5))
        let error = #expect(throws: TLSError.self) { try server.feedCiphertext(Fixtures.bytes(401, seed: 6)) }
        #expect(error?.kind == .bufferLimitExceeded)
        #expect(error?.isRemote == false)
        #expect(server.bufferedCiphertextCount == 600)
        try server.feedCiphertext(Fixtures.bytes(400, seed: 7))
    }
}
