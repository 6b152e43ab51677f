import RingwayTLS
import Testing

@Suite("Handshake")
struct HandshakeTests {
    @Test("TLS 1.3 handshake with the generated certificate negotiates http/1.1 and X25519")
    func tls13() throws {
        let pair = try TLSPair()
        pair.run()
        #expect(pair.client.error == nil)
        #expect(pair.server.error == nil)
        #expect(pair.isEstablished)
        for side in [pair.client.connection, pair.server.connection] {
            #expect(side.negotiatedVersion == .v1_3)
            #expect(side.negotiatedALPN == "http/1.1")
            #expect(side.negotiatedGroup == "x25519")
            #expect(side.negotiatedCipherSuite?.hasPrefix("TLS_") == true)
        }
        #expect(pair.server.connection.requestedServerName == "localhost")
    }

    @Test("TLS 1.2 handshake when the server caps the version")
    func tls12ServerCapped() throws {
        var server = Fixtures.localhost.serverConfiguration
        server.maximumVersion = .v1_2
        let pair = try TLSPair(
            server: server, client: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        pair.run()
        #expect(pair.isEstablished)
        for side in [pair.client.connection, pair.server.connection] {
            #expect(side.negotiatedVersion == .v1_2)
            #expect(side.negotiatedALPN == "http/1.1")
            #expect(side.negotiatedGroup == "x25519")
            // Forward-secret AEAD only, ECDSA because the key is P-256.
            #expect(side.negotiatedCipherSuite == "ECDHE-ECDSA-AES128-GCM-SHA256")
        }
    }

    @Test("TLS 1.2 handshake when the client caps the version")
    func tls12ClientCapped() throws {
        var client = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        client.maximumVersion = .v1_2
        let pair = try TLSPair(server: Fixtures.localhost.serverConfiguration, client: client)
        pair.run()
        #expect(pair.isEstablished)
        #expect(pair.client.connection.negotiatedVersion == .v1_2)
        #expect(pair.server.connection.negotiatedVersion == .v1_2)
    }

    @Test("A TLS 1.2-only client and a TLS 1.3-only server share no version")
    func noCommonVersion() throws {
        var server = Fixtures.localhost.serverConfiguration
        server.minimumVersion = .v1_3
        var client = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        client.maximumVersion = .v1_2
        let pair = try TLSPair(server: server, client: client)
        pair.run()
        let serverError = try #require(pair.server.error)
        #expect(serverError.kind == .handshakeFailed)
        #expect(serverError.isRemote)
        #expect(serverError.description.contains("unsupported protocol"))
        let clientError = try #require(pair.client.error)
        #expect(clientError.description.contains("alert protocol version"))
    }

    @Test("A TLS 1.1 ClientHello is refused with protocol_version")
    func tls11Refused() throws {
        let context = try TLSContext(configuration: Fixtures.localhost.serverConfiguration)
        let server = try TLSConnection(context: context)
        // Record header (handshake, legacy 3.1), ClientHello for 3.2 with one suite, no extensions.
        var hello: [UInt8] = [0x03, 0x02] + Fixtures.bytes(32, seed: 11) + [0x00, 0x00, 0x02, 0xC0, 0x13, 0x01, 0x00]
        hello = [0x01, 0x00, 0x00, UInt8(hello.count)] + hello
        let record: [UInt8] = [0x16, 0x03, 0x01, 0x00, UInt8(hello.count)] + hello
        try server.feedCiphertext(record)
        let error = #expect(throws: TLSError.self) { try server.handshake() }
        #expect(error?.kind == .handshakeFailed)
        #expect(error?.reason.contains("unsupported protocol") == true)
        // An alert (content type 21) is waiting to be sent.
        var out: [UInt8] = []
        server.drainCiphertext(into: &out)
        #expect(out.first == 0x15)
    }

    @Test("States: haveOutput first, needMoreInput while waiting, then established")
    func stateSequence() throws {
        let serverContext = try TLSContext(configuration: Fixtures.localhost.serverConfiguration)
        let clientContext = try TLSContext(
            configuration: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        let server = try TLSConnection(context: serverContext)
        let client = try TLSConnection(context: clientContext, serverName: "localhost")
        #expect(server.handshakeState == .needMoreInput)
        #expect(try server.handshake() == .needMoreInput)
        #expect(try client.handshake() == .haveOutput)
        var wire: [UInt8] = []
        client.drainCiphertext(into: &wire)
        #expect(client.handshakeState == .needMoreInput)
        #expect(client.negotiatedVersion == nil)
        try server.feedCiphertext(wire)
        #expect(try server.handshake() == .haveOutput)
        wire.removeAll()
        server.drainCiphertext(into: &wire)
        #expect(server.handshakeState == .needMoreInput)
        try client.feedCiphertext(wire)
        // The client is done once it has the server's flight; its Finished is still to be sent.
        #expect(try client.handshake() == .haveOutput)
        #expect(client.isHandshakeComplete)
        // Application data can follow Finished in the same flight.
        try client.writePlaintext(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        wire.removeAll()
        client.drainCiphertext(into: &wire)
        #expect(client.handshakeState == .established)
        try server.feedCiphertext(wire)
        // Established with nothing to send: session tickets are off, so no NewSessionTicket.
        #expect(try server.handshake() == .established)
        #expect(!server.hasPendingCiphertext)
        var plaintext: [UInt8] = []
        #expect(try server.readPlaintext(into: &plaintext) == .bytes(18))
        #expect(String(decoding: plaintext, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        #expect(try server.readPlaintext(into: &plaintext) == .needMoreInput)
    }

    @Test("The handshake gives the same result when fed byte by byte")
    func byteByByte() throws {
        let pair = try TLSPair(chunkSize: 1)
        pair.run()
        #expect(pair.isEstablished)
        #expect(pair.server.connection.negotiatedALPN == "http/1.1")
        try pair.client.connection.writePlaintext(Array("ping".utf8))
        pair.run()
        #expect(pair.server.received == Array("ping".utf8))
    }
}

@Suite("ALPN and SNI")
struct ALPNTests {
    private func pair(clientALPN: [String], serverALPN: [String] = [TLSConfiguration.http11]) throws -> TLSPair {
        var server = Fixtures.localhost.serverConfiguration
        server.alpnProtocols = serverALPN
        var client = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        client.alpnProtocols = clientALPN
        return try TLSPair(server: server, client: client)
    }

    @Test("The server selects http/1.1 among the client's offers")
    func selectsHTTP11() throws {
        let pair = try pair(clientALPN: ["h2", "http/1.1"])
        pair.run()
        #expect(pair.isEstablished)
        #expect(pair.client.connection.negotiatedALPN == "http/1.1")
        #expect(pair.server.connection.negotiatedALPN == "http/1.1")
    }

    @Test("A client without ALPN connects without a protocol")
    func clientWithoutALPN() throws {
        let pair = try pair(clientALPN: [])
        pair.run()
        #expect(pair.isEstablished)
        #expect(pair.server.connection.negotiatedALPN == nil)
        #expect(pair.client.connection.negotiatedALPN == nil)
    }

    @Test("A client offering only other protocols is refused with no_application_protocol")
    func noOverlap() throws {
        let pair = try pair(clientALPN: ["h2"])
        pair.run()
        let serverError = try #require(pair.server.error)
        #expect(serverError.kind == .handshakeFailed)
        let clientError = try #require(pair.client.error)
        #expect(clientError.description.contains("no application protocol"))
    }

    @Test("An IP address is not sent as SNI but is checked against the certificate")
    func ipAddressServerName() throws {
        let serverContext = try TLSContext(configuration: Fixtures.localhost.serverConfiguration)
        let clientContext = try TLSContext(
            configuration: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        for (address, accepted) in [("127.0.0.1", true), ("::1", true), ("127.0.0.2", false)] {
            let pair = TLSPair(
                client: try TLSConnection(context: clientContext, serverName: address),
                server: try TLSConnection(context: serverContext))
            pair.run()
            let (client, server) = (pair.client, pair.server)
            #expect(server.connection.requestedServerName == nil)
            if accepted {
                #expect(client.error == nil, "\(address)")
                #expect(client.connection.handshakeState == .established)
            } else {
                #expect(client.error?.kind == .certificateVerification)
                #expect(client.error?.verifyResult == "IP address mismatch")
            }
        }
    }
}
