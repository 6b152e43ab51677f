import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayServer
import Testing

/// `/ws/v1/peers` over real loopback sockets: two clients authenticate, say HELLO and exchange
/// messages through the server.
@Suite(.timeLimit(.minutes(1)))
struct PeerSessionTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    func ack(_ envelope: Envelope) throws -> AckPayload {
        #expect(envelope.type == .ack)
        return try AckPayload(json: envelope.payload)
    }

    func error(_ envelope: Envelope) throws -> ErrorPayload {
        #expect(envelope.type == .error)
        return try ErrorPayload(json: envelope.payload)
    }

    @Test func helloReadyMessageDeliveredAndAckRoutedBack() async throws {
        try await withServer(configure: configure) { server in
            let aliceKey = Ed25519PrivateKey()
            let (alice, aliceReady) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")

            // READY is signed by the node key, from the node to the entity.
            #expect(aliceReady.type == .ready)
            #expect(aliceReady.fromEntity.rawValue == "hub")
            #expect(aliceReady.toEntity == .entity(EntityID("alice")!))
            try aliceReady.verifySignature(publicKey: server.identity.publicKey)
            let ready = try ReadyPayload(json: aliceReady.payload)
            #expect(ready.protocolVersion == "1.2")
            #expect(ready.maxMessageBytes == Int64(server.configuration.maxMessageBytes))

            let id = await alice.nextID()
            let sent = await alice.envelope(.message, to: "bob", payload: ["text": "hi", "n": 1], id: id)
            try await alice.sendText(sent)
            let received = try await bob.nextText()
            #expect(received == sent)
            let verified = try received.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
            #expect(verified.messageID == id)

            let delivered = try await alice.nextEnvelope()
            try delivered.verifySignature(publicKey: server.identity.publicKey)
            #expect(try ack(delivered) == AckPayload(ackID: id, status: .delivered))

            let receipt = await bob.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json)
            try await bob.sendText(receipt)
            #expect(try await alice.nextText() == receipt)

            // At most once: a second receipt for the same message is refused, not routed.
            let again = await bob.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json)
            try await bob.sendText(again)
            #expect(try error(try await bob.nextEnvelope()).code == .malformed)

            // HEARTBEAT is answered in kind.
            try await alice.sendText(await alice.envelope(.heartbeat, to: "hub"))
            let heartbeat = try await alice.nextEnvelope()
            #expect(heartbeat.type == .heartbeat)
            try heartbeat.verifySignature(publicKey: server.identity.publicKey)

            // BYE closes with 1000.
            try await alice.sendText(await alice.envelope(.bye, to: "hub"))
            #expect(try await alice.next() == .close(1000, ""))
            await alice.close()
            await bob.close()
        }
    }

    @Test func messagesOverTLS() async throws {
        try await withServer(tls: true, configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let padding = JSONValue.string(String(repeating: "z", count: 40_000))
            let messages = [
                await alice.envelope(.message, to: "bob", payload: ["n": 1]),
                await alice.envelope(.message, to: "bob", payload: ["n": 2, "pad": padding]),
            ]
            try await alice.sendTexts(messages)
            for message in messages {
                #expect(try await bob.nextText() == message)
                #expect(try ack(try await alice.nextEnvelope()).status == .delivered)
            }
            await server.peers.shutdown()
            #expect(try await bob.nextEnvelope().type == .bye)
            guard case .close(1001, _) = try await bob.next() else { Issue.record("expected close 1001"); return }
            await alice.close()
            await bob.close()
        }
    }

    @Test func refusalsKeepTheSessionOpen() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")

            let forgedID = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "bob", id: forgedID, signer: Ed25519PrivateKey()))
            let invalid = try error(try await alice.nextEnvelope())
            #expect(invalid.code == .invalidSignature)
            #expect(invalid.ref == forgedID)

            let unknown = try error(try await alice.nextEnvelope(afterSending: await alice.envelope(.message, to: "nobody"), via: alice))
            #expect(unknown.code == .unknownRecipient)

            let message = await alice.envelope(.message, to: "bob")
            try await alice.sendText(message)
            #expect(try await bob.nextText() == message)
            #expect(try ack(try await alice.nextEnvelope()).status == .delivered)
            try await alice.sendText(message)
            #expect(try error(try await alice.nextEnvelope()).code == .replay)

            try await alice.sendBinary(Array("{}".utf8))
            let binary = try error(try await alice.nextEnvelope())
            #expect(binary.code == .malformed)
            #expect(binary.ref == nil)

            // Still open after every refusal.
            let last = await alice.envelope(.message, to: "bob")
            try await alice.sendText(last)
            #expect(try await bob.nextText() == last)
            await alice.close()
            await bob.close()
        }
    }

    @Test func pipelinedMessagesAreAllRoutedInOrder() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let padding = JSONValue.string(String(repeating: "y", count: 50_000))
            var messages: [[UInt8]] = []
            for index in 0..<12 {
                messages.append(await alice.envelope(.message, to: "bob", payload: ["i": .number(Double(index)), "pad": padding]))
            }
            // About 600 KB in one write: more than one read of the server's socket.
            try await alice.sendTexts(messages)
            for message in messages {
                #expect(try await bob.nextText() == message)
                #expect(try ack(try await alice.nextEnvelope()).status == .delivered)
            }
            await alice.close()
            await bob.close()
        }
    }

    @Test func offlineRecipientIsQueuedThenDeliveredOnReady() async throws {
        try await withServer(configure: configure) { server in
            let bobKey = Ed25519PrivateKey()
            // Bob authenticates once (so he is pinned), then is offline.
            _ = try await authenticate(server, entity: "bob", key: bobKey)
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let message = await alice.envelope(.message, to: "bob", payload: ["queued": true])
            try await alice.sendText(message)
            #expect(try ack(try await alice.nextEnvelope()).status == .queued)

            let (bob, ready) = try await PeerClient.connect(server, entity: "bob", key: bobKey)
            #expect(ready.type == .ready)
            #expect(try await bob.nextText() == message)
            await alice.close()
            await bob.close()
        }
    }

    @Test func receiptForAnOfflineSenderIsHeldForIt() async throws {
        try await withServer(configure: configure) { server in
            let aliceKey = Ed25519PrivateKey()
            let (alice, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let id = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "bob", id: id))
            _ = try await bob.nextText()
            #expect(try ack(try await alice.nextEnvelope()).status == .delivered)
            try await alice.sendText(await alice.envelope(.bye, to: "hub"))
            #expect(try await alice.next() == .close(1000, ""))
            await alice.close()

            let receipt = await bob.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json)
            try await bob.sendText(receipt)
            // The server never answers an ACK with an ACK: Bob's next envelope is the HEARTBEAT answer.
            try await bob.sendText(await bob.envelope(.heartbeat, to: "hub"))
            #expect(try await bob.nextEnvelope().type == .heartbeat)

            let (again, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            #expect(try await again.nextText() == receipt)
            await again.close()
            await bob.close()
        }
    }

    @Test func pingIsAnsweredWithPong() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            #expect(try await alice.ping(Array("are you there".utf8)) == Array("are you there".utf8))
            await alice.close()
        }
    }

    @Test func fullQueueIsQueueFull() async throws {
        try await withServer(configure: configure, peerSettings: PeerSessionSettings(queueMax: 1)) { server in
            _ = try await authenticate(server, entity: "bob", key: Ed25519PrivateKey())
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            try await alice.sendText(await alice.envelope(.message, to: "bob"))
            #expect(try ack(try await alice.nextEnvelope()).status == .queued)
            try await alice.sendText(await alice.envelope(.message, to: "bob"))
            #expect(try error(try await alice.nextEnvelope()).code == .queueFull)
            await alice.close()
        }
    }

    @Test func replayMemorySurvivesAReconnect() async throws {
        try await withServer(configure: configure) { server in
            let key = Ed25519PrivateKey()
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let (first, _) = try await PeerClient.connect(server, entity: "alice", key: key)
            let message = await first.envelope(.message, to: "bob")
            try await first.sendText(message)
            #expect(try await bob.nextText() == message)
            #expect(try AckPayload(json: try await first.nextEnvelope().payload).status == .delivered)
            let (second, _) = try await PeerClient.connect(server, entity: "alice", key: key)
            try await second.sendText(message)
            #expect(try ErrorPayload(json: try await second.nextEnvelope().payload).code == .replay)
            await first.close()
            await second.close()
            await bob.close()
        }
    }

    @Test func newSessionReplacesTheOldOne() async throws {
        try await withServer(configure: configure) { server in
            let key = Ed25519PrivateKey()
            let (first, _) = try await PeerClient.connect(server, entity: "alice", key: key)
            let (second, _) = try await PeerClient.connect(server, entity: "alice", key: key)
            #expect(try await first.next() == .close(1008, "replaced"))
            try await second.sendText(await second.envelope(.heartbeat, to: "hub"))
            #expect(try await second.nextEnvelope().type == .heartbeat)
            await first.close()
            await second.close()
        }
    }

    @Test(arguments: [
        ("no token", "/ws/v1/peers?entity_id=alice", WireErrorCode.authFailed),
        ("garbage token", "/ws/v1/peers?entity_id=alice&token=abc.def.ghi", WireErrorCode.authFailed),
    ])
    func badTokenIs401BeforeTheUpgrade(label: String, target: String, code: WireErrorCode) async throws {
        try await withServer(configure: configure) { server in
            let (response, client) = try await PeerClient.upgrade(server, target: target, entity: "alice", key: Ed25519PrivateKey())
            #expect(client == nil)
            #expect(response.status == 401)
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == code)
            #expect(!server.log.lines.joined(separator: "\n").contains("abc.def.ghi"))
        }
    }

    @Test func expiredTokenIs401TokenExpired() async throws {
        try await withServer(configure: configure) { server in
            let key = Ed25519PrivateKey()
            let past = Int64(Date().timeIntervalSince1970) - 2 * Int64(server.configuration.tokenTTLSeconds)
            let challenge = try server.auth.challenge(entityID: "alice", publicKey: key.publicKey.base64URL, now: past)
            let signature = AuthChallenge.sign(entityID: "alice", nonce: challenge.nonce, with: key)
            let token = try server.auth.verify(entityID: "alice", nonce: challenge.nonce, signature: signature, now: past).token
            let (response, client) = try await PeerClient.upgrade(
                server, target: "/ws/v1/peers?entity_id=alice&token=\(token)", entity: "alice", key: key)
            #expect(client == nil)
            #expect(response.status == 401)
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .tokenExpired)
        }
    }

    @Test func tokenInTheAuthorizationHeaderIsAccepted() async throws {
        try await withServer(configure: configure) { server in
            let (client, ready) = try await PeerClient.connect(
                address: server.address, loop: server.clientLoop, entity: "alice", tokenInHeader: true)
            #expect(ready.type == .ready)
            await client.close()
        }
    }

    @Test func tokenOfAnotherEntityIs401() async throws {
        try await withServer(configure: configure) { server in
            let token = try await authenticate(server, entity: "bob", key: Ed25519PrivateKey())
            let (response, _) = try await PeerClient.upgrade(
                server, target: "/ws/v1/peers?entity_id=alice", entity: "alice", key: Ed25519PrivateKey(),
                headers: [("Authorization", "Bearer \(token)")])
            #expect(response.status == 401)
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .authFailed)
            #expect(!server.log.lines.joined(separator: "\n").contains(token))
        }
    }

    @Test func badHandshakeIs400AndWrongVersionIs426() async throws {
        try await withServer(configure: configure) { server in
            let client = try await server.connect()
            let bad = try await client.request(.get, "/ws/v1/peers?entity_id=alice", headers: [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: short", "Sec-WebSocket-Version: 13",
            ])
            #expect(bad.status == 400)
            #expect(bad.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .malformed)
            let version = try await client.request(.get, "/ws/v1/peers?entity_id=alice", headers: [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8",
            ])
            #expect(version.status == 426)
            #expect(version.header("Sec-WebSocket-Version") == "13")
            #expect(version.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .malformed)
            await client.close()
        }
    }
}

/// Session opening, limits and closing over loopback.
@Suite(.timeLimit(.minutes(1)))
struct PeerSessionLifecycleTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    /// An upgraded client that has not said HELLO yet.
    func upgraded(_ server: TestServer, entity: String = "alice") async throws -> PeerClient {
        let key = Ed25519PrivateKey()
        let token = try await authenticate(server, entity: entity, key: key)
        let (_, client) = try await PeerClient.upgrade(server, target: "/ws/v1/peers?entity_id=\(entity)&token=\(token)", entity: entity, key: key)
        return try #require(client)
    }

    @Test func noHelloInTimeIsErrorThenClose1008() async throws {
        try await withServer(configure: configure, peerSettings: PeerSessionSettings(helloTimeoutMilliseconds: 200)) { server in
            let client = try await upgraded(server)
            let error = try await client.nextEnvelope()
            #expect(error.type == .error)
            try error.verifySignature(publicKey: server.identity.publicKey)
            #expect(try await client.next() == .close(1008, "HELLO timeout"))
            await client.close()
        }
    }

    @Test func somethingElseFirstIsErrorThenClose1008() async throws {
        try await withServer(configure: configure) { server in
            let client = try await upgraded(server)
            try await client.sendText(await client.envelope(.heartbeat, to: "hub"))
            #expect(try ErrorPayload(json: try await client.nextEnvelope().payload).code == .malformed)
            guard case .close(1008, _) = try await client.next() else { Issue.record("expected close 1008"); return }
            await client.close()
        }
    }

    @Test func noCommonVersionIsProtocolVersionThenClose1008() async throws {
        try await withServer(configure: configure) { server in
            let client = try await upgraded(server)
            try await client.sendText(await client.envelope(.hello, to: nil, payload: ["protocol_versions": ["1.1"]]))
            #expect(try ErrorPayload(json: try await client.nextEnvelope().payload).code == .protocolVersion)
            guard case .close(1008, _) = try await client.next() else { Issue.record("expected close 1008"); return }
            await client.close()
        }
    }

    @Test func silenceForThreeHeartbeatIntervalsCloses1008() async throws {
        try await withServer(configure: { configure(&$0); $0.heartbeatIntervalSeconds = 1 }) { server in
            // Timed from before HELLO is sent: the server counts silence from the last frame it
            // received, so however slowly this side runs, the close cannot come sooner.
            let clock = ContinuousClock()
            let started = clock.now
            let (client, ready) = try await PeerClient.connect(server, entity: "alice")
            #expect(try ReadyPayload(json: ready.payload).heartbeatIntervalSeconds == 1)
            #expect(try await client.next() == .close(1008, "heartbeat timeout"))
            #expect(clock.now - started >= .milliseconds(2_500))
            await client.close()
        }
    }

    @Test func messageOverTheLimitCloses1009() async throws {
        try await withServer(configure: { configure(&$0); $0.maxMessageBytes = 1_024 }) { server in
            let (client, ready) = try await PeerClient.connect(server, entity: "alice")
            #expect(try ReadyPayload(json: ready.payload).maxMessageBytes == 1_024)
            let padding = String(repeating: "x", count: 2_000)
            try await client.sendText(await client.envelope(.message, to: "alice", payload: ["pad": .string(padding)]))
            guard case .close(1009, _) = try await client.next() else { Issue.record("expected close 1009"); return }
            await client.close()
        }
    }

    @Test func recipientThatDoesNotReadIsDroppedAndLaterMessagesAreQueued() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let padding = JSONValue.string(String(repeating: "x", count: 60_000))
            var statuses: [AckStatus] = []
            // Bob never reads: the kernel buffers fill, then the server's write limit; Bob's
            // session is closed. Every message, written to his socket or not, stays held for
            // him until he acknowledges it: nothing is silently dropped.
            for _ in 0..<2_000 {
                try await alice.sendText(await alice.envelope(.message, to: "bob", payload: ["pad": padding]))
                let answer = try await alice.nextEnvelope()
                let status = try AckPayload(json: answer.payload).status
                statuses.append(status)
                if status != .delivered { break }
            }
            #expect(statuses.last == .queued)
            #expect(statuses.dropLast().allSatisfy { $0 == .delivered })
            #expect(server.peers.heldCount(for: EntityID("bob")!) == statuses.count)
            await alice.close()
            await bob.close()
        }
    }

    @Test func shutdownSpreadsTheCloses() async throws {
        try await withServer(configure: configure) { server in
            var peers: [PeerClient] = []
            for name in ["a", "b", "c"] {
                peers.append(try await PeerClient.connect(server, entity: name).0)
            }
            let clock = ContinuousClock()
            let started = clock.now
            await server.peers.shutdown(spreadOver: .milliseconds(300))
            #expect(clock.now - started >= .milliseconds(200))
            for peer in peers {
                #expect(try await peer.nextEnvelope().type == .bye)
                guard case .close(1001, _) = try await peer.next() else { Issue.record("expected close 1001"); return }
                await peer.close()
            }
        }
    }

    @Test func shutdownSendsByeThenClose1001() async throws {
        try await withServer(configure: configure) { server in
            let (client, _) = try await PeerClient.connect(server, entity: "alice")
            let early = try await upgraded(server, entity: "bob")
            await server.peers.shutdown()
            for peer in [client, early] {
                let bye = try await peer.nextEnvelope()
                #expect(bye.type == .bye)
                try bye.verifySignature(publicKey: server.identity.publicKey)
                guard case .close(1001, _) = try await peer.next() else { Issue.record("expected close 1001"); return }
                await peer.close()
            }
        }
    }
}

extension PeerClient {
    /// Sends `bytes`, then reads the next envelope.
    func nextEnvelope(afterSending bytes: [UInt8], via client: PeerClient) async throws -> Envelope {
        try await sendText(bytes)
        return try await nextEnvelope()
    }
}
