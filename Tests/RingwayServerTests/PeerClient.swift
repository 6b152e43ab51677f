import RingwayClient
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayRuntime
import RingwayServer
import RingwayTLS
import RingwayWebSocket
import Testing

/// Gets a token through the challenge → verify flow over HTTP.
func authenticate(_ server: TestServer, entity: String, key: Ed25519PrivateKey) async throws -> String {
    let trust = try server.tls.map { try PEMFile.read($0.certificatePath) }
    return try await authenticate(address: server.address, loop: server.clientLoop, entity: entity, key: key, trusting: trust)
}

/// Gets a token from the server at `address`, with a client on `loop`.
func authenticate(
    address: SocketAddress, loop: EventLoop, entity: String, key: Ed25519PrivateKey, trusting certificatePEM: String? = nil
) async throws -> String {
    let client = try await TestClient.connect(to: address, on: loop, trusting: certificatePEM)
    let challenge = try await client.request(.get, "/auth/token?entity_id=\(entity)&pubkey=\(key.publicKey.base64URL)")
    #expect(challenge.status == 200)
    let nonce = try #require(try JSONReader.parse(challenge.body).objectValue?["nonce"]?.stringValue)
    let signature = AuthChallenge.sign(entityID: entity, nonce: nonce, with: key)
    let body = #"{"entity_id":"\#(entity)","nonce":"\#(nonce)","signature":"\#(signature)"}"#
    let verified = try await client.request(.post, "/auth/verify", headers: ["Content-Type: application/json"], body: body)
    #expect(verified.status == 200)
    await client.close()
    return try #require(try JSONReader.parse(verified.body).objectValue?["token"]?.stringValue)
}

/// What a peer client read.
enum PeerFrame: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])
    case close(UInt16, String)
}

/// A `/ws/v1/peers` client over plain TCP: RFC 6455 client handshake and masked frames.
actor PeerClient {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    let entity: String
    let key: Ed25519PrivateKey
    private var transport: ClientTransport?
    private var websocket = WebSocketConnection(role: .client)
    private var clock: Int64 = 0
    /// Pings received from the server so far (never answered: this client does not pong).
    private(set) var pingsReceived = 0

    private init(loop: EventLoop, entity: String, key: Ed25519PrivateKey) {
        self.loop = loop
        self.entity = entity
        self.key = key
    }

    private func open(_ address: SocketAddress, trusting certificatePEM: String?) async throws {
        transport = try await TestTransport.open(address, on: loop, trusting: certificatePEM)
    }

    private func transportWrite(_ bytes: [UInt8]) async throws {
        try await transport!.write(bytes)
    }

    private func transportRead(into buffer: inout [UInt8]) async throws -> Int {
        try await transport!.read(into: &buffer)
    }

    static func upgrade(
        _ server: TestServer, target: String, entity: String, key: Ed25519PrivateKey, headers: [(String, String)] = []
    ) async throws -> (ReceivedResponse, PeerClient?) {
        let trust = try server.tls.map { try PEMFile.read($0.certificatePath) }
        return try await upgrade(
            address: server.address, loop: server.clientLoop, target: target, entity: entity, key: key, headers: headers,
            trusting: trust)
    }

    /// ``upgrade(_:target:entity:key:headers:)`` against the server at `address`.
    static func upgrade(
        address: SocketAddress, loop: EventLoop, target: String, entity: String, key: Ed25519PrivateKey,
        headers: [(String, String)] = [], trusting certificatePEM: String? = nil
    ) async throws -> (ReceivedResponse, PeerClient?) {
        let client = PeerClient(loop: loop, entity: entity, key: key)
        try await client.open(address, trusting: certificatePEM)
        let response = try await client.handshake(target: target, headers: headers)
        return (response, response.status == 101 ? client : nil)
    }

    /// Authenticates, upgrades with the token in the query, and exchanges HELLO/READY.
    static func connect(_ server: TestServer, entity: String, key: Ed25519PrivateKey = Ed25519PrivateKey()) async throws -> (PeerClient, Envelope) {
        let trust = try server.tls.map { try PEMFile.read($0.certificatePath) }
        return try await connect(address: server.address, loop: server.clientLoop, entity: entity, key: key, trusting: trust)
    }

    /// ``connect(_:entity:key:)`` against the server at `address`, with the token in `Authorization`.
    static func connect(
        address: SocketAddress, loop: EventLoop, entity: String, key: Ed25519PrivateKey = Ed25519PrivateKey(),
        tokenInHeader: Bool = false, trusting certificatePEM: String? = nil
    ) async throws -> (PeerClient, Envelope) {
        let token = try await authenticate(address: address, loop: loop, entity: entity, key: key, trusting: certificatePEM)
        let target = tokenInHeader ? "/ws/v1/peers?entity_id=\(entity)" : "/ws/v1/peers?entity_id=\(entity)&token=\(token)"
        let headers = tokenInHeader ? [("Authorization", "Bearer \(token)")] : []
        let (response, client) = try await upgrade(
            address: address, loop: loop, target: target, entity: entity, key: key, headers: headers, trusting: certificatePEM)
        #expect(response.status == 101)
        let peer = try #require(client)
        let ready = try await peer.hello()
        return (peer, ready)
    }

    /// Authenticates (unless given `token`) and subscribes to `/ws/v1/events`; returns once the
    /// server has registered the subscriber (it answered a ping).
    static func subscribe(
        _ server: TestServer, entity: String, key: Ed25519PrivateKey = Ed25519PrivateKey(), token: String? = nil
    ) async throws -> PeerClient {
        var bearer = token ?? ""
        if token == nil { bearer = try await authenticate(server, entity: entity, key: key) }
        let (response, client) = try await upgrade(server, target: "/ws/v1/events?entity_id=\(entity)&token=\(bearer)", entity: entity, key: key)
        #expect(response.status == 101)
        let subscriber = try #require(client)
        #expect(try await subscriber.ping([7]) == [7])
        return subscriber
    }

    private func handshake(target: String, headers: [(String, String)]) async throws -> ReceivedResponse {
        var extra = HTTPHeaders()
        for (name, value) in headers { extra.add(name: name, value: value) }
        let handshake = WebSocketClientHandshake(host: "localhost", target: target, key: SecureRandom.bytes(count: 16), additionalHeaders: extra)
        var request: [UInt8] = []
        try handshake.writeRequest(into: &request)
        try await transportWrite(request)
        var parser = HTTPResponseParser()
        parser.requestSent(method: .get)
        var head: ResponseHead?
        var body: [UInt8] = []
        while true {
            switch try parser.next() {
            case .head(let final): head = final
            case .body(let bytes): body.append(contentsOf: bytes)
            case .informational, .trailers: continue
            case .switchingProtocols:
                let response = ReceivedResponse(head: try #require(head), body: [])
                _ = try handshake.validate(response.head)
                websocket.feed(parser.takeUnconsumedBytes())
                return response
            case .end:
                return ReceivedResponse(head: try #require(head), body: body)
            case .closed:
                throw TestFailure("closed during the handshake")
            case .needMoreData:
                var bytes: [UInt8] = []
                if try await transportRead(into: &bytes) == 0 { parser.feedEOF() } else { parser.feed(bytes) }
            }
        }
    }

    /// A fresh, increasing message id.
    func nextID() -> WireUUID {
        WireUUID.v7(clock: SystemUnixClock())
    }

    /// A signed envelope from this client.
    func envelope(
        _ type: EnvelopeType, to: String?, payload: JSONObject = JSONObject(), id: WireUUID? = nil, timestamp: Int64? = nil,
        signer: Ed25519PrivateKey? = nil
    ) -> [UInt8] {
        Envelope(
            messageID: id ?? nextID(), type: type, fromEntity: EntityID(entity)!, toEntity: to.map { Recipient($0)! },
            timestamp: timestamp ?? SystemUnixClock().unixSeconds(), payload: payload
        ).signed(with: signer ?? key).encoded()
    }

    func hello() async throws -> Envelope {
        try await sendText(envelope(.hello, to: nil, payload: ["protocol_versions": ["1.2"], "capabilities": .object(JSONObject())]))
        return try await nextEnvelope()
    }

    func sendText(_ bytes: [UInt8]) async throws {
        var frame: [UInt8] = []
        try websocket.writeText(bytes, mask: WebSocketMask(SecureRandom.bytes(count: 4)), into: &frame)
        try await transportWrite(frame)
    }

    /// Sends several text messages in one write, as a client that pipelines does.
    func sendTexts(_ messages: [[UInt8]]) async throws {
        var frames: [UInt8] = []
        for message in messages {
            try websocket.writeText(message, mask: WebSocketMask(SecureRandom.bytes(count: 4)), into: &frames)
        }
        try await transportWrite(frames)
    }

    /// Writes `bytes` as they are (hand-made frames).
    func sendRaw(_ bytes: [UInt8]) async throws {
        try await transportWrite(bytes)
    }

    func sendBinary(_ bytes: [UInt8]) async throws {
        var frame: [UInt8] = []
        try websocket.writeBinary(bytes, mask: WebSocketMask(SecureRandom.bytes(count: 4)), into: &frame)
        try await transportWrite(frame)
    }

    /// Sends a ping and waits for the pong with the same payload.
    func ping(_ payload: [UInt8]) async throws -> [UInt8] {
        var frame: [UInt8] = []
        try websocket.writePing(payload, mask: WebSocketMask(SecureRandom.bytes(count: 4)), into: &frame)
        try await transportWrite(frame)
        while true {
            switch websocket.next() {
            case .pong(let bytes): return Array(bytes)
            case .ping: pingsReceived += 1
            case .needMoreData:
                var bytes: [UInt8] = []
                if try await transportRead(into: &bytes) == 0 { websocket.feedEOF() } else { websocket.feed(bytes) }
            case let other:
                throw TestFailure("expected a pong, got \(other)")
            }
        }
    }

    /// The next data message or close.
    func next() async throws -> PeerFrame {
        while true {
            switch websocket.next() {
            case .text(let bytes): return .text(Array(bytes))
            case .binary(let bytes): return .binary(Array(bytes))
            case .close(let code, let reason): return .close(code.rawValue, reason)
            case .protocolError(let code): return .close(code.rawValue, "protocol error")
            case .finished: return .close(1006, "")
            case .ping: pingsReceived += 1
            case .pong: continue
            case .needMoreData:
                var bytes: [UInt8] = []
                let count: Int
                do {
                    count = try await transportRead(into: &bytes)
                } catch {
                    return .close(1006, "")
                }
                if count == 0 { websocket.feedEOF() } else { websocket.feed(bytes) }
            }
        }
    }

    /// The next text message's raw bytes.
    func nextText() async throws -> [UInt8] {
        let frame = try await next()
        guard case .text(let bytes) = frame else { throw TestFailure("expected a text message, got \(frame)") }
        return bytes
    }

    /// The next text message, decoded (signature not checked).
    func nextEnvelope() async throws -> Envelope {
        try EnvelopeDecoder().decode(try await nextText())
    }

    func close() async {
        await transport?.close()
    }
}
