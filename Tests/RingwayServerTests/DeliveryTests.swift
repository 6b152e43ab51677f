import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayServer
import Testing

/// At-least-once delivery (contract §7.3) over real loopback sockets: a message stays held until
/// its recipient's `received` ACK, is handed again to the recipient's next session, and ages out
/// with `ACK expired` to its sender.
@Suite(.timeLimit(.minutes(1)))
struct DeliveryTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    func ack(_ envelope: Envelope) throws -> AckPayload {
        #expect(envelope.type == .ack)
        return try AckPayload(json: envelope.payload)
    }

    /// Sends a HEARTBEAT and reads envelopes up to its answer: what arrived before it.
    func drain(_ client: PeerClient) async throws -> [Envelope] {
        try await client.sendText(await client.envelope(.heartbeat, to: "hub"))
        var before: [Envelope] = []
        while true {
            let envelope = try await client.nextEnvelope()
            if envelope.type == .heartbeat, envelope.fromEntity.rawValue == "hub" { return before }
            before.append(envelope)
        }
    }

    @Test func unacknowledgedMessageIsRedeliveredToTheNextSessionUntilAcknowledged() async throws {
        try await withServer(configure: configure) { server in
            let bobKey = Ed25519PrivateKey()
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob", key: bobKey)
            let id = await alice.nextID()
            let sent = await alice.envelope(.message, to: "bob", payload: ["n": 1], id: id)
            try await alice.sendText(sent)
            #expect(try await bob.nextText() == sent)
            #expect(try ack(try await alice.nextEnvelope()).status == .delivered)

            // Bob's connection goes away before he acknowledges: the message is still held.
            await bob.close()
            let (again, _) = try await PeerClient.connect(server, entity: "bob", key: bobKey)
            #expect(try await again.nextText() == sent)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 1)

            let receipt = await again.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json)
            try await again.sendText(receipt)
            #expect(try await alice.nextText() == receipt)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 0)

            // Acknowledged: a third session gets nothing.
            await again.close()
            let (third, _) = try await PeerClient.connect(server, entity: "bob", key: bobKey)
            #expect(try await drain(third).isEmpty)
            await third.close()
            await alice.close()
        }
    }

    @Test func ackForAMessageNotHeldIsMalformed() async throws {
        try await withServer(configure: configure) { server in
            _ = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let ackID = await bob.nextID()
            let unsolicited = await bob.envelope(
                .ack, to: "alice", payload: AckPayload(ackID: WireUUID.v7(unixMilliseconds: 1), status: .received).json, id: ackID)
            try await bob.sendText(unsolicited)
            let refused = try await bob.nextEnvelope()
            #expect(refused.type == .error)
            #expect(try ErrorPayload(json: refused.payload).code == .malformed)
            #expect(try ErrorPayload(json: refused.payload).ref == ackID)
            await bob.close()
        }
    }

    @Test func heldMessageThatAgesOutIsExpiredToItsSender() async throws {
        let clock = OffsetClock()
        try await withServer(configure: { configuration in
            configure(&configuration)
            configuration.queueMaxAgeSeconds = 2
        }, clock: clock) { server in
            // Bob is known (pinned) but offline.
            _ = try await authenticate(server, entity: "bob", key: Ed25519PrivateKey())
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let id = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "bob", id: id))
            #expect(try ack(try await alice.nextEnvelope()) == AckPayload(ackID: id, status: .queued))

            await server.peers.sweep(maxAgeMilliseconds: 2_000)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 1)
            clock.advance(milliseconds: 2_001)
            await server.peers.sweep(maxAgeMilliseconds: 2_000)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 0)

            let expired = try await alice.nextEnvelope()
            try expired.verifySignature(publicKey: server.identity.publicKey)
            #expect(expired.fromEntity.rawValue == "hub")
            #expect(expired.toEntity == .entity(EntityID("alice")!))
            #expect(try ack(expired) == AckPayload(ackID: id, status: .expired))
            await alice.close()
        }
    }

    @Test func expiryForAnOfflineSenderWaitsForItsNextSession() async throws {
        let clock = OffsetClock()
        try await withServer(configure: configure, clock: clock) { server in
            _ = try await authenticate(server, entity: "bob", key: Ed25519PrivateKey())
            let aliceKey = Ed25519PrivateKey()
            let (alice, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            let id = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "bob", id: id))
            #expect(try ack(try await alice.nextEnvelope()).status == .queued)
            try await alice.sendText(await alice.envelope(.bye, to: "hub"))
            #expect(try await alice.next() == .close(1000, ""))
            await alice.close()

            clock.advance(milliseconds: 5_000)
            await server.peers.sweep(maxAgeMilliseconds: 2_000)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 0)
            let (again, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            #expect(try ack(try await again.nextEnvelope()) == AckPayload(ackID: id, status: .expired))
            await again.close()
        }
    }

    @Test func shutdownReportsHeldMessages() async throws {
        let server = try await TestServer.start(configure: configure)
        _ = try await authenticate(server, entity: "bob", key: Ed25519PrivateKey())
        let (alice, _) = try await PeerClient.connect(server, entity: "alice")
        try await alice.sendText(await alice.envelope(.message, to: "bob"))
        #expect(try ack(try await alice.nextEnvelope()).status == .queued)
        await server.node.shutdown()
        #expect(try await alice.nextEnvelope().type == .bye)
        guard case .close(1001, _) = try await alice.next() else { Issue.record("expected close 1001"); return }
        await alice.close()
        #expect(server.log.lines.contains { $0.contains("messages still held") && $0.contains("held=1") })
        await server.clientGroup.shutdown()
    }
}
