import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayRuntime
import RingwayServer
import Testing

/// A wall clock the test moves by hand (it starts at the real time, so that client timestamps
/// stay inside the replay window).
final class ManualUnixClock: UnixClock {
    private let milliseconds = Locked(SystemUnixClock().unixMilliseconds())

    func advance(milliseconds delta: UInt64) {
        milliseconds.withLock { $0 += delta }
    }

    func unixMilliseconds() -> UInt64 { milliseconds.withLock { $0 } }
}

/// The allow-list and the rate limits over real loopback sockets.
@Suite(.timeLimit(.minutes(1)))
struct ProtectionTests {
    static let allowlist = #"{"entities":{"alice":{"send_to":["bob"]},"bob":{"send_to":["*"]},"carol":{}}}"#

    func writeAllowlist(_ text: String = allowlist) throws -> String {
        let path = try temporaryDirectory() + "/allowlist.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func errorCode(_ response: ReceivedResponse) throws -> String? {
        try JSONReader.parse(response.body).objectValue?["error"]?.objectValue?["code"]?.stringValue
    }

    func errorPayload(_ envelope: Envelope) throws -> ErrorPayload {
        #expect(envelope.type == .error)
        return try ErrorPayload(json: envelope.payload)
    }

    func verifyBody(entity: String, nonce: String, key: Ed25519PrivateKey) -> String {
        let signature = AuthChallenge.sign(entityID: entity, nonce: nonce, with: key)
        return #"{"entity_id":"\#(entity)","nonce":"\#(nonce)","signature":"\#(signature)"}"#
    }

    // MARK: Allow-list

    @Test func entityNotOnTheAllowListIsForbiddenAtTokenAndVerify() async throws {
        let path = try writeAllowlist()
        try await withServer(configure: { $0.allowlistFile = path }) { server in
            let client = try await server.connect()
            let key = Ed25519PrivateKey()
            let refused = try await client.request(.get, "/auth/token?entity_id=mallory&pubkey=\(key.publicKey.base64URL)")
            #expect(refused.status == 403)
            #expect(try errorCode(refused) == "FORBIDDEN")

            // A nonce issued to alice, presented for mallory: refused, and used up all the same.
            let challenge = try await client.request(.get, "/auth/token?entity_id=alice&pubkey=\(key.publicKey.base64URL)")
            #expect(challenge.status == 200)
            let nonce = try #require(try JSONReader.parse(challenge.body).objectValue?["nonce"]?.stringValue)
            let verify = try await client.request(.post, "/auth/verify", body: verifyBody(entity: "mallory", nonce: nonce, key: key))
            #expect(verify.status == 403)
            #expect(try errorCode(verify) == "FORBIDDEN")
            let late = try await client.request(.post, "/auth/verify", body: verifyBody(entity: "alice", nonce: nonce, key: key))
            #expect(late.status == 401)
            #expect(server.auth.pinnedKeys["mallory"] == nil)
            await client.close()
        }
    }

    @Test func tokenIssuedBeforeTheListChangedIsForbiddenAtTheUpgradesAndTheFallback() async throws {
        let data = try temporaryDirectory() + "/data"
        let key = Ed25519PrivateKey()
        let token = try await withServer(configure: { $0.dataDirectory = data }) { server in
            try await authenticate(server, entity: "mallory", key: key)
        }
        let path = try writeAllowlist()
        try await withServer(configure: { $0.dataDirectory = data; $0.allowlistFile = path }) { server in
            let (response, client) = try await PeerClient.upgrade(
                server, target: "/ws/v1/peers?entity_id=mallory&token=\(token)", entity: "mallory", key: key)
            #expect(response.status == 403)
            #expect(try errorCode(response) == "FORBIDDEN")
            #expect(client == nil)
            let (events, subscriber) = try await PeerClient.upgrade(
                server, target: "/ws/v1/events?entity_id=mallory&token=\(token)", entity: "mallory", key: key)
            #expect(events.status == 403)
            #expect(subscriber == nil)
            let http = try await server.connect()
            for (method, path) in [(HTTPMethod.get, "/v1/messages"), (.post, "/v1/messages/ack"), (.get, "/peers/discover")] {
                let refused = try await http.request(
                    method, path, headers: ["Authorization: Bearer \(token)"], body: method == .post ? #"{"ack_ids":[]}"# : "")
                #expect(refused.status == 403, "\(path)")
                #expect(try errorCode(refused) == "FORBIDDEN")
            }
            await http.close()
        }
    }

    @Test func messageToARecipientNotAllowedIsForbiddenAndTheSessionStaysOpen() async throws {
        let path = try writeAllowlist()
        try await withServer(configure: { $0.allowlistFile = path }) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            let (carol, _) = try await PeerClient.connect(server, entity: "carol")

            let id = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "carol", id: id))
            let refused = try errorPayload(try await alice.nextEnvelope())
            #expect(refused.code == .forbidden)
            #expect(refused.ref == id)

            // Still open: a recipient on alice's list is reached.
            let allowed = await alice.envelope(.message, to: "bob")
            try await alice.sendText(allowed)
            #expect(try await bob.nextText() == allowed)
            #expect(try await alice.nextEnvelope().type == .ack)

            // "*" in send_to: bob reaches anyone on the list; carol (no send_to) reaches no one.
            let toCarol = await bob.envelope(.message, to: "carol")
            try await bob.sendText(toCarol)
            #expect(try await carol.nextText() == toCarol)
            try await carol.sendText(await carol.envelope(.message, to: "bob"))
            #expect(try errorPayload(try await carol.nextEnvelope()).code == .forbidden)
            await alice.close()
            await bob.close()
            await carol.close()
        }
    }

    @Test func badAllowListFileStopsTheStartNamingTheFile() async throws {
        let invalid = try writeAllowlist(#"{"entities":{"alice":{"sendto":["bob"]}}}"#)
        let missing = try temporaryDirectory() + "/absent.json"
        for (path, problem) in [(invalid, #"unknown key "sendto""#), (missing, "cannot read")] {
            do {
                let server = try await TestServer.start(configure: { $0.allowlistFile = path })
                await server.stop()
                Issue.record("started with \(path)")
            } catch let error as StartupError {
                #expect(error.description.contains(path))
                #expect(error.description.contains(problem))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    // MARK: Rates

    @Test func messageRateIsRateLimitedThenAcceptedLater() async throws {
        let clock = ManualUnixClock()
        try await withServer(configure: { $0.messageRatePerEntity = 1; $0.messageBurstPerEntity = 2 }, clock: clock) { server in
            let (alice, _) = try await PeerClient.connect(server, entity: "alice")
            let (bob, _) = try await PeerClient.connect(server, entity: "bob")
            for _ in 0..<2 {
                try await alice.sendText(await alice.envelope(.message, to: "bob"))
                _ = try await bob.nextText()
                #expect(try await alice.nextEnvelope().type == .ack)
            }
            let id = await alice.nextID()
            try await alice.sendText(await alice.envelope(.message, to: "bob", id: id))
            let limited = try errorPayload(try await alice.nextEnvelope())
            #expect(limited.code == .rateLimited)
            #expect(limited.ref == id)

            clock.advance(milliseconds: 1_000)
            let later = await alice.envelope(.message, to: "bob")
            try await alice.sendText(later)
            #expect(try await bob.nextText() == later)
            #expect(try await alice.nextEnvelope().type == .ack)
            await alice.close()
            await bob.close()
        }
    }

    @Test func handshakeRateIs429WithRetryAfter() async throws {
        let clock = ManualUnixClock()
        try await withServer(configure: { $0.handshakeRatePerIP = 2 }, clock: clock) { server in
            let client = try await server.connect()
            let key = Ed25519PrivateKey().publicKey.base64URL
            for _ in 0..<2 {
                #expect(try await client.request(.get, "/auth/token?entity_id=alice&pubkey=\(key)").status == 200)
            }
            let limited = try await client.request(.get, "/auth/token?entity_id=alice&pubkey=\(key)")
            #expect(limited.status == 429)
            #expect(try errorCode(limited) == "RATE_LIMITED")
            #expect(limited.header("Retry-After") == "1")
            let verify = try await client.request(.post, "/auth/verify", body: #"{"entity_id":"alice","nonce":"x","signature":"y"}"#)
            #expect(verify.status == 429)
            let (upgrade, peer) = try await PeerClient.upgrade(
                server, target: "/ws/v1/peers?entity_id=alice&token=x", entity: "alice", key: Ed25519PrivateKey())
            #expect(upgrade.status == 429)
            #expect(upgrade.header("Retry-After") == "1")
            #expect(peer == nil)

            // Two per second: one handshake every 500 ms.
            clock.advance(milliseconds: 500)
            #expect(try await client.request(.get, "/auth/token?entity_id=alice&pubkey=\(key)").status == 200)
            await client.close()
        }
    }

    @Test func connectionsPerAddressOverTheCapGet429AndClose() async throws {
        try await withServer(configure: { $0.maxConnectionsPerIP = 1 }) { server in
            let first = try await expectSecondConnectionRefused(server)

            // Closing the first connection frees its slot.
            await first.close()
            let loopback = try SocketAddress(host: "127.0.0.1", port: 0)
            for _ in 0..<500 where server.node.admission.connectionCount(from: loopback) > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let third = try await server.connect()
            #expect(try await third.request(.get, "/healthz").status == 200)
            await third.close()
        }
    }

    @Test func tlsConnectionOverTheCapIsClosedWithoutAnAnswer() async throws {
        try await withServer(tls: true, configure: { $0.maxConnectionsPerIP = 1 }) { server in
            let first = try await server.connect()
            #expect(try await first.request(.get, "/healthz").status == 200)
            let second = try await TestClient.connect(to: server.address, on: server.clientLoop)
            #expect(try await second.readsEndOfStream())
            await second.close()
            await first.close()
        }
    }
}
