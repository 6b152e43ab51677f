import RingwayTLS

/// One side of an in-memory connection, with what it received.
final class Endpoint {
    let connection: TLSConnection
    var received: [UInt8] = []
    var sawClose = false
    var error: TLSError?

    init(_ connection: TLSConnection) {
        self.connection = connection
    }

    /// Reads every available plaintext byte.
    func readAll() throws(TLSError) {
        while true {
            switch try connection.readPlaintext(into: &received) {
            case .bytes: continue
            case .needMoreInput: return
            case .closed:
                sawClose = true
                return
            }
        }
    }
}

/// A client and a server wired to each other through memory: no sockets, no threads. `run()`
/// moves ciphertext both ways, `chunkSize` bytes at a time, reading plaintext on arrival, until
/// neither side has anything to send. Errors are recorded per side and pumping continues, so
/// alerts reach the peer.
final class TLSPair {
    let client: Endpoint
    let server: Endpoint
    var chunkSize: Int
    private var wire: [UInt8] = []

    init(client: TLSConnection, server: TLSConnection, chunkSize: Int = 16 << 10) {
        self.client = Endpoint(client)
        self.server = Endpoint(server)
        self.chunkSize = chunkSize
    }

    convenience init(
        server serverConfiguration: TLSConfiguration,
        client clientConfiguration: TLSConfiguration,
        serverName: String? = "localhost",
        chunkSize: Int = 16 << 10
    ) throws {
        let serverContext = try TLSContext(configuration: serverConfiguration)
        let clientContext = try TLSContext(configuration: clientConfiguration)
        self.init(
            client: try TLSConnection(context: clientContext, serverName: serverName),
            server: try TLSConnection(context: serverContext),
            chunkSize: chunkSize)
    }

    /// A pair using `certificate` on the server, trusted by the client.
    convenience init(certificate: SelfSignedCertificate = Fixtures.localhost, chunkSize: Int = 16 << 10) throws {
        try self.init(
            server: certificate.serverConfiguration,
            client: .client(trustRoots: .certificates(.pem(certificate.certificatePEM))),
            chunkSize: chunkSize)
    }

    /// Starts the client's handshake if needed and pumps until quiet.
    func run() {
        if !client.connection.isHandshakeComplete, client.error == nil {
            do { try client.connection.handshake() } catch { client.error = error }
        }
        var rounds = 0
        while true {
            let movedUp = move(from: client, to: server)
            let movedDown = move(from: server, to: client)
            if !movedUp && !movedDown { return }
            rounds += 1
            precondition(rounds < 10_000_000, "pump does not converge")
        }
    }

    /// True when both handshakes completed without an error.
    var isEstablished: Bool {
        client.error == nil && server.error == nil
            && client.connection.handshakeState == .established
            && server.connection.handshakeState == .established
    }

    private func move(from: Endpoint, to: Endpoint) -> Bool {
        guard from.connection.hasPendingCiphertext else { return false }
        wire.removeAll(keepingCapacity: true)
        from.connection.drainCiphertext(into: &wire, maxBytes: chunkSize)
        // A receiver that already failed drops what arrives, as a closed socket would.
        guard to.error == nil else { return true }
        do {
            try to.connection.feedCiphertext(wire)
            try to.readAll()
        } catch {
            to.error = error
        }
        return true
    }
}
