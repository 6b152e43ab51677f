import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayServer
import Testing

/// The session rules not covered elsewhere, over real loopback sockets: the remaining ERROR
/// codes and close codes of contract §7.7 and §7.
@Suite(.timeLimit(.minutes(1)))
struct SessionContractTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    func error(_ envelope: Envelope) throws -> ErrorPayload {
        #expect(envelope.type == .error)
        return try ErrorPayload(json: envelope.payload)
    }

    @Test func serverOnlyTypeIsUnsupportedTypeAndForeignSenderIsForbidden() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let readyID = await alice.nextID()
            try await alice.sendText(await alice.envelope(.ready, to: "hub", id: readyID))
            let unsupported = try error(try await alice.nextEnvelope())
            #expect(unsupported.code == .unsupportedType)
            #expect(unsupported.ref == readyID)

            // An unknown type name.
            var unknown = Array(await alice.envelope(.heartbeat, to: "hub"))
            let text = String(decoding: unknown, as: UTF8.self).replacingOccurrences(of: "\"HEARTBEAT\"", with: "\"SHOUT\"")
            unknown = Array(text.utf8)
            try await alice.sendText(unknown)
            #expect(try error(try await alice.nextEnvelope()).code == .unsupportedType)

            let spoofed = Envelope(
                messageID: await alice.nextID(), type: .message, fromEntity: EntityID("bob")!, toEntity: .entity(EntityID("carol")!),
                timestamp: SystemUnixClock().unixSeconds(), payload: JSONObject()
            ).signed(with: Ed25519PrivateKey()).encoded()
            try await alice.sendText(spoofed)
            #expect(try error(try await alice.nextEnvelope()).code == .forbidden)

            // Still open.
            try await alice.sendText(await alice.envelope(.heartbeat, to: "hub"))
            #expect(try await alice.nextEnvelope().type == .heartbeat)
            await alice.close()
        }
    }

    @Test func tokenReachingItsExpiryClosesWithTokenExpiredAnd1008() async throws {
        let clock = OffsetClock()
        try await withServer(configure: { configuration in
            configure(&configuration)
            // Silence for three heartbeat intervals would close the session first.
            configuration.heartbeatIntervalSeconds = 3_600
        }, clock: clock) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            clock.advance(milliseconds: UInt64(server.configuration.tokenTTLSeconds) * 1_000)
            // The loop's sweep looks at the session's timeouts every second.
            let expired = try error(try await alice.nextEnvelope())
            #expect(expired.code == .tokenExpired)
            guard case .close(1008, _) = try await alice.next() else { Issue.record("expected close 1008"); return }
            await alice.close()
        }
    }

    @Test func unmaskedFrameCloses1002() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            try await alice.sendRaw([0x81, 0x02, 0x7B, 0x7D])
            guard case .close(1002, _) = try await alice.next() else { Issue.record("expected close 1002"); return }
            await alice.close()
        }
    }

    @Test func invalidUTF8TextCloses1007() async throws {
        try await withServer(configure: configure) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            // Masked with a zero key: the payload is sent as is.
            try await alice.sendRaw([0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28])
            guard case .close(1007, _) = try await alice.next() else { Issue.record("expected close 1007"); return }
            await alice.close()
        }
    }
}
