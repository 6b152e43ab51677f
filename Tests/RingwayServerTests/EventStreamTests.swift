import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayServer
import Testing

/// `/ws/v1/events` over real loopback sockets: subscribers get broadcasts unchanged and
/// server-signed peer online/offline events.
@Suite(.timeLimit(.minutes(1)))
struct EventStreamTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    /// A MESSAGE to `*` signed by `key` as `entity`.
    func broadcastEnvelope(from entity: String, key: Ed25519PrivateKey, text: String) -> [UInt8] {
        Envelope(
            messageID: WireUUID.v7(clock: SystemUnixClock()), type: .message, fromEntity: EntityID(entity)!, toEntity: .broadcast,
            timestamp: SystemUnixClock().unixSeconds(), payload: ["text": .string(text)]
        ).signed(with: key).encoded()
    }

    @Test(arguments: [
        ("no token", "/ws/v1/events?entity_id=carol", 401, WireErrorCode.authFailed),
        ("garbage token", "/ws/v1/events?entity_id=carol&token=abc.def.ghi", 401, WireErrorCode.authFailed),
        ("no entity_id", "/ws/v1/events?token=abc.def.ghi", 400, WireErrorCode.malformed),
        ("reserved entity_id", "/ws/v1/events?entity_id=*&token=abc.def.ghi", 400, WireErrorCode.malformed),
        ("two entity_ids", "/ws/v1/events?entity_id=carol&entity_id=dave&token=abc.def.ghi", 400, WireErrorCode.malformed),
    ])
    func refusedBeforeTheUpgrade(label: String, target: String, status: Int, code: WireErrorCode) async throws {
        try await withServer(configure: configure) { server in
            let (response, client) = try await PeerClient.upgrade(server, target: target, entity: "carol", key: Ed25519PrivateKey())
            #expect(client == nil)
            #expect(response.status == status)
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == code)
            #expect(!server.log.lines.joined(separator: "\n").contains("abc.def.ghi"))
            #expect(server.peers.events.subscriberCount == 0)
        }
    }

    @Test func tokenOfAnotherEntityAndBadHandshakeAreRefused() async throws {
        try await withServer(configure: configure) { server in
            let token = try await authenticate(server, entity: "dave", key: Ed25519PrivateKey())
            let (response, _) = try await PeerClient.upgrade(
                server, target: "/ws/v1/events?entity_id=carol&token=\(token)", entity: "carol", key: Ed25519PrivateKey())
            #expect(response.status == 401)
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .authFailed)

            let client = try await server.connect()
            let version = try await client.request(.get, "/ws/v1/events?entity_id=dave&token=\(token)", headers: [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8",
            ])
            #expect(version.status == 426)
            #expect(version.header("Sec-WebSocket-Version") == "13")
            let plain = try await client.request(.get, "/ws/v1/events?entity_id=dave&token=\(token)")
            #expect(plain.status == 400)
            await client.close()
        }
    }

    @Test func broadcastReachesEverySubscriberUnchanged() async throws {
        try await withServer(configure: configure) { server in
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            let dave = try await PeerClient.subscribe(server, entity: "dave")
            #expect(server.peers.events.subscriberCount == 2)

            let aliceKey = Ed25519PrivateKey()
            let sent = broadcastEnvelope(from: "alice", key: aliceKey, text: "to everyone")
            #expect(await server.peers.events.broadcast(sent, from: EntityID("alice")!) == 2)
            for subscriber in [carol, dave] {
                let received = try await subscriber.nextText()
                #expect(received == sent)
                // The sender's signature verifies end to end.
                _ = try received.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
            }
            await carol.close()
            await dave.close()
        }
    }

    @Test func peerOnlineAndOfflineAreServerSignedEvents() async throws {
        try await withServer(configure: configure) { server in
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            let bob = EntityID("bob")!
            server.peers.events.peerOnline(bob, transport: "websocket")
            server.peers.events.peerOffline(bob)

            let online = try await carol.nextText()
            let onlineEnvelope = try online.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: server.identity.publicKey) }
            #expect(onlineEnvelope.type == .message)
            #expect(onlineEnvelope.fromEntity == EntityID("hub")!)
            #expect(onlineEnvelope.toEntity == .broadcast)
            #expect(onlineEnvelope.payload == ["event": "peer_online", "entity_id": "bob", "transport": "websocket"])

            // In the order they were reported.
            let offline = try await carol.nextText()
            let offlineEnvelope = try offline.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: server.identity.publicKey) }
            #expect(offlineEnvelope.toEntity == .broadcast)
            #expect(offlineEnvelope.payload == ["event": "peer_offline", "entity_id": "bob"])
            await carol.close()
        }
    }

    @Test func dataFramesAreErrorMalformedAndTheStreamStaysOpen() async throws {
        try await withServer(configure: configure) { server in
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            try await carol.sendText(Array(#"{"hello":1}"#.utf8))
            try await carol.sendBinary([1, 2, 3])
            for _ in 0..<2 {
                let error = try await carol.nextEnvelope()
                #expect(error.type == .error)
                #expect(error.fromEntity == EntityID("hub")!)
                #expect(error.toEntity == .entity(EntityID("carol")!))
                try error.verifySignature(publicKey: server.identity.publicKey)
                let payload = try ErrorPayload(json: error.payload)
                #expect(payload.code == .malformed)
                #expect(payload.ref == nil)
            }
            #expect(try await carol.ping([1, 2]) == [1, 2])
            #expect(await server.peers.events.broadcast(broadcastEnvelope(from: "a", key: Ed25519PrivateKey(), text: "x"), from: EntityID("a")!) == 1)
            await carol.close()
        }
    }

    @Test func subscriberThatDoesNotReadIsClosedWithoutDelayingAnother() async throws {
        try await withServer(configure: configure) { server in
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            let dave = try await PeerClient.subscribe(server, entity: "dave")
            let key = Ed25519PrivateKey()
            let padding = String(repeating: "x", count: 60_000)
            var counts: [Int] = []
            // Carol never reads: the kernel buffers fill, then the server's write limit, and she
            // is closed. A fan-out that waited for her would never return; Dave gets every copy.
            for index in 0..<2_000 {
                let sent = broadcastEnvelope(from: "alice", key: key, text: "\(index) \(padding)")
                let count = await server.peers.events.broadcast(sent, from: EntityID("alice")!)
                counts.append(count)
                #expect(try await dave.nextText() == sent)
                if count < 2 { break }
            }
            #expect(counts.last == 1)
            #expect(counts.dropLast().allSatisfy { $0 == 2 })
            // What was queued before the close reaches Carol, then the stream ends.
            var frames = 0
            while case .text = try await carol.next() { frames += 1 }
            #expect(frames >= 1)
            await carol.close()
            await dave.close()
        }
    }

    @Test func shutdownClosesSubscribersWith1001() async throws {
        try await withServer(configure: configure) { server in
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            let dave = try await PeerClient.subscribe(server, entity: "dave")
            await server.peers.events.shutdown()
            for subscriber in [carol, dave] {
                #expect(try await subscriber.next() == .close(1001, "server shutting down"))
                await subscriber.close()
            }
        }
    }

    @Test func silenceForThreeHeartbeatIntervalsCloses1008AfterPings() async throws {
        try await withServer(configure: { configure(&$0); $0.heartbeatIntervalSeconds = 1 }) { server in
            let clock = ContinuousClock()
            let started = clock.now
            // The subscriber's ping is the last frame the server receives from it.
            let carol = try await PeerClient.subscribe(server, entity: "carol")
            #expect(try await carol.next() == .close(1008, "heartbeat timeout"))
            #expect(clock.now - started >= .milliseconds(2_500))
            #expect(await carol.pingsReceived >= 2)
            await carol.close()
        }
    }

    @Test func subscriptionsPerEntityAreLimited() async throws {
        try await withServer(configure: configure) { server in
            let key = Ed25519PrivateKey()
            let token = try await authenticate(server, entity: "carol", key: key)
            var subscribers: [PeerClient] = []
            for _ in 0..<server.peers.events.maxSubscriptionsPerEntity {
                subscribers.append(try await PeerClient.subscribe(server, entity: "carol", key: key, token: token))
            }
            let (response, client) = try await PeerClient.upgrade(
                server, target: "/ws/v1/events?entity_id=carol&token=\(token)", entity: "carol", key: key)
            #expect(client == nil)
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == String(server.configuration.heartbeatIntervalSeconds))
            #expect(response.body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }?.code == .rateLimited)
            // Another entity is not affected.
            let dave = try await PeerClient.subscribe(server, entity: "dave")
            #expect(server.peers.events.subscriberCount == subscribers.count + 1)
            for subscriber in subscribers + [dave] { await subscriber.close() }
        }
    }

    /// A MESSAGE to `*` on a `/ws/v1/peers` session reaches the subscribers.
    @Test func peerSessionBroadcastReachesSubscribers() async throws {
        try await withServer(configure: configure) { server in
            let dave = try await PeerClient.subscribe(server, entity: "dave")
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let id = await alice.nextID()
            let sent = await alice.envelope(.message, to: "*", payload: ["text": "to everyone"], id: id)
            try await alice.sendText(sent)
            // The ACK comes after the fan-out, so Dave's copy is queued by then.
            let ack = try await alice.nextEnvelope()
            try #require(ack.type == .ack)
            #expect(try AckPayload(json: ack.payload) == AckPayload(ackID: id, status: .delivered))
            // Alice's peer_online event comes first; then her broadcast, unchanged.
            var text = try await dave.nextText()
            while text != sent {
                #expect(try EnvelopeDecoder().decode(text).fromEntity.rawValue == server.configuration.entityID)
                text = try await dave.nextText()
            }
            await alice.close()
            await dave.close()
        }
    }
}
