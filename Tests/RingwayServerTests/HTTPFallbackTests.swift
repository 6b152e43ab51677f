import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayServer
import Testing

/// The HTTP fallback (contract §9) and discovery (§10) over real loopback sockets.
@Suite(.timeLimit(.minutes(1)))
struct HTTPFallbackTests {
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.entityID = "hub"
    }

    /// An entity that talks over HTTP: a token and signed envelopes.
    struct HTTPPeer {
        let entity: String
        let key: Ed25519PrivateKey
        let token: String

        static func authenticate(_ server: TestServer, _ entity: String, key: Ed25519PrivateKey = Ed25519PrivateKey()) async throws -> HTTPPeer {
            HTTPPeer(entity: entity, key: key, token: try await RingwayServerTests.authenticate(server, entity: entity, key: key))
        }

        var bearer: String { "Authorization: Bearer \(token)" }

        func envelope(
            _ type: EnvelopeType, to: String?, payload: JSONObject = ["text": "hi"], id: WireUUID = WireUUID.v7(clock: SystemUnixClock()),
            timestamp: Int64 = SystemUnixClock().unixSeconds(), signer: Ed25519PrivateKey? = nil
        ) -> [UInt8] {
            Envelope(
                messageID: id, type: type, fromEntity: EntityID(entity)!, toEntity: to.map { Recipient($0)! }, timestamp: timestamp,
                payload: payload
            ).signed(with: signer ?? key).encoded()
        }

        func post(_ server: TestServer, _ envelope: [UInt8], path: String = "/v1/messages") async throws -> ReceivedResponse {
            let client = try await server.connect()
            defer { Task { await client.close() } }
            return try await client.request(
                .post, path, headers: [bearer, "Content-Type: application/json"], body: String(decoding: envelope, as: UTF8.self))
        }

        func poll(_ server: TestServer, wait: Int = 0, limit: Int? = nil) async throws -> ReceivedResponse {
            let client = try await server.connect()
            defer { Task { await client.close() } }
            let query = "wait=\(wait)" + (limit.map { "&limit=\($0)" } ?? "")
            return try await client.request(.get, "/v1/messages?\(query)", headers: [bearer])
        }
    }

    func status(_ response: ReceivedResponse) throws -> (String, String) {
        let object = try #require(try JSONReader.parse(response.body).objectValue)
        return (try #require(object["ack_id"]?.stringValue), try #require(object["status"]?.stringValue))
    }

    func errorCode(_ response: ReceivedResponse) throws -> String {
        try #require(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue?["code"]?.stringValue)
    }

    func messages(_ response: ReceivedResponse) throws -> [[UInt8]] {
        #expect(response.status == 200)
        let list = try #require(try JSONReader.parse(response.body).objectValue?["messages"]?.arrayValue)
        return list.map { JSONWriter.encode($0) }
    }

    @Test func websocketToPollingPeerAndBack() async throws {
        try await withServer(configure: configure) { server in
            let aliceKey = Ed25519PrivateKey()
            let (alice, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            let bob = try await HTTPPeer.authenticate(server, "bob")

            // Bob's long-poll is open: Alice's message is `queued` and handed to it at once.
            let poll = Task { try await bob.poll(server, wait: 20) }
            while server.peers.transport(of: EntityID("bob")!) != .http { await Task.yield() }
            let id = await alice.nextID()
            let sent = await alice.envelope(.message, to: "bob", payload: ["text": "over http"], id: id)
            try await alice.sendText(sent)
            let queued = try await alice.nextEnvelope()
            #expect(try AckPayload(json: queued.payload) == AckPayload(ackID: id, status: .queued))
            let received = try messages(try await poll.value)
            #expect(received.count == 1)
            let verified = try received[0].withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
            #expect(verified.messageID == id)

            // Handed out, not acknowledged: the next poll does not return it again at once.
            #expect(try messages(try await bob.poll(server)).isEmpty)

            // Bob's ACK envelope releases it and reaches Alice once.
            let receipt = bob.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json)
            let acked = try await bob.post(server, receipt)
            #expect(acked.status == 202)
            #expect(try status(acked) == (id.description, "received"))
            #expect(try await alice.nextText() == receipt)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 0)
            let twice = try await bob.post(server, bob.envelope(.ack, to: "alice", payload: AckPayload(ackID: id, status: .received).json))
            #expect(twice.status == 400)

            // Bob → Alice over HTTP: delivered to her session, bytes unchanged.
            let replyID = WireUUID.v7(clock: SystemUnixClock())
            let reply = bob.envelope(.message, to: "alice", id: replyID)
            let posted = try await bob.post(server, reply)
            #expect(posted.status == 202)
            #expect(try status(posted) == (replyID.description, "delivered"))
            #expect(try await alice.nextText() == reply)
            await alice.close()
        }
    }

    @Test func ackEndpointReleasesPolledMessages() async throws {
        try await withServer(configure: configure) { server in
            let alice = try await HTTPPeer.authenticate(server, "alice")
            let bob = try await HTTPPeer.authenticate(server, "bob")
            var ids: [WireUUID] = []
            for _ in 0..<3 {
                let id = WireUUID.v7(clock: SystemUnixClock())
                ids.append(id)
                let response = try await alice.post(server, alice.envelope(.message, to: "bob", id: id))
                #expect(try status(response) == (id.description, "queued"))
            }
            #expect(try messages(try await bob.poll(server, limit: 2)).count == 2)
            #expect(try messages(try await bob.poll(server, limit: 2)).count == 1)
            let client = try await server.connect()
            let body = #"{"ack_ids":["\#(ids[0])","\#(ids[1])","\#(WireUUID.v7(unixMilliseconds: 1))"]}"#
            let acked = try await client.request(.post, "/v1/messages/ack", headers: [bob.bearer], body: body)
            #expect(acked.status == 200)
            #expect(try JSONReader.parse(acked.body).objectValue?["acknowledged"]?.safeIntegerValue == 2)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 1)
            let bad = try await client.request(.post, "/v1/messages/ack", headers: [bob.bearer], body: #"{"ack_ids":"x"}"#)
            #expect(bad.status == 400)
            await client.close()
        }
    }

    @Test func pollWithNothingPendingReturnsEmptyAfterTheWait() async throws {
        try await withServer(configure: configure) { server in
            let bob = try await HTTPPeer.authenticate(server, "bob")
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try messages(try await bob.poll(server, wait: 1)).isEmpty)
            #expect(clock.now - started >= .milliseconds(900))
        }
    }

    @Test(arguments: ["wait=31", "wait=-1", "wait=x", "limit=0", "limit=1001", "wait=1&wait=2"])
    func outOfRangePollParametersAre400(_ query: String) async throws {
        try await withServer(configure: configure) { server in
            let bob = try await HTTPPeer.authenticate(server, "bob")
            let client = try await server.connect()
            let response = try await client.request(.get, "/v1/messages?\(query)", headers: [bob.bearer])
            #expect(response.status == 400)
            #expect(try errorCode(response) == "MALFORMED")
            await client.close()
        }
    }

    @Test func refusalsHaveTheContractStatuses() async throws {
        try await withServer(configure: { configuration in
            configure(&configuration)
            configuration.queueMax = 1
        }) { server in
            let alice = try await HTTPPeer.authenticate(server, "alice")
            _ = try await HTTPPeer.authenticate(server, "bob")

            let forged = alice.envelope(.message, to: "bob", signer: Ed25519PrivateKey())
            var response = try await alice.post(server, forged)
            #expect(response.status == 400)
            #expect(try errorCode(response) == "INVALID_SIGNATURE")

            response = try await alice.post(server, Array(#"{"not":"an envelope"}"#.utf8))
            #expect(response.status == 400)
            #expect(try errorCode(response) == "MALFORMED")

            response = try await alice.post(server, alice.envelope(.heartbeat, to: "hub"))
            #expect(response.status == 400)
            #expect(try errorCode(response) == "UNSUPPORTED_TYPE")

            let mallory = Ed25519PrivateKey()
            let spoofed = Envelope(
                messageID: WireUUID.v7(clock: SystemUnixClock()), type: .message, fromEntity: EntityID("bob")!,
                toEntity: .entity(EntityID("alice")!), timestamp: SystemUnixClock().unixSeconds(), payload: JSONObject()
            ).signed(with: mallory).encoded()
            response = try await alice.post(server, spoofed)
            #expect(response.status == 403)
            #expect(try errorCode(response) == "FORBIDDEN")

            response = try await alice.post(server, alice.envelope(.message, to: "nobody"))
            #expect(response.status == 404)
            #expect(try errorCode(response) == "UNKNOWN_RECIPIENT")

            let old = alice.envelope(.message, to: "bob", timestamp: SystemUnixClock().unixSeconds() - 3_600)
            response = try await alice.post(server, old)
            #expect(response.status == 409)
            #expect(try errorCode(response) == "REPLAY")

            let once = alice.envelope(.message, to: "bob")
            #expect(try await alice.post(server, once).status == 202)
            response = try await alice.post(server, once)
            #expect(response.status == 409)
            #expect(try errorCode(response) == "REPLAY")

            // queue_max is 1 and the first message is held.
            response = try await alice.post(server, alice.envelope(.message, to: "bob"))
            #expect(response.status == 503)
            #expect(try errorCode(response) == "QUEUE_FULL")

            let big = alice.envelope(.message, to: "bob", payload: ["pad": .string(String(repeating: "x", count: 70_000))])
            response = try await alice.post(server, big)
            #expect(response.status == 413)
            #expect(try errorCode(response) == "TOO_LARGE")
        }
    }

    @Test func everyRouteNeedsAToken() async throws {
        try await withServer(configure: configure) { server in
            let client = try await server.connect()
            let routes: [(HTTPMethod, String)] = [(.post, "/v1/messages"), (.get, "/v1/messages"), (.post, "/v1/messages/ack"), (.get, "/peers/discover")]
            for (method, path) in routes {
                let response = try await client.request(method, path, headers: ["Authorization: Bearer not-a-token"], body: method == .post ? "{}" : "")
                #expect(response.status == 401, "\(path)")
                #expect(try errorCode(response) == "AUTH_FAILED")
            }
            await client.close()
        }
    }

    @Test func discoverListsReachablePeersWithTheirTransport() async throws {
        try await withServer(configure: configure) { server in
            let aliceKey = Ed25519PrivateKey()
            let (alice, _) = try await PeerClient.connect(server, entity: "alice", key: aliceKey)
            let bob = try await HTTPPeer.authenticate(server, "bob")
            let carol = try await HTTPPeer.authenticate(server, "carol")
            _ = try await bob.poll(server)

            let client = try await server.connect()
            let response = try await client.request(.get, "/peers/discover", headers: [carol.bearer])
            #expect(response.status == 200)
            let peers = try #require(try JSONReader.parse(response.body).objectValue?["peers"]?.arrayValue)
            let byName = Dictionary(uniqueKeysWithValues: peers.compactMap { peer in
                peer.objectValue.flatMap { object in object["entity_id"]?.stringValue.map { ($0, object) } }
            })
            #expect(byName["carol"] == nil, "the caller is not listed")
            #expect(byName["alice"]?["online"] == .bool(true))
            #expect(byName["alice"]?["transport"] == .string("websocket"))
            #expect(byName["alice"]?["pubkey"] == .string(aliceKey.publicKey.base64URL))
            #expect(byName["alice"]?["last_seen"]?.safeIntegerValue != nil)
            #expect(byName["bob"]?["online"] == .bool(true))
            #expect(byName["bob"]?["transport"] == .string("http"))

            // `entity_id` asks for one entry: the key of one sender, without the whole list.
            func names(_ target: String) async throws -> [String] {
                let answer = try await client.request(.get, target, headers: [carol.bearer])
                #expect(answer.status == 200)
                let list = try #require(try JSONReader.parse(answer.body).objectValue?["peers"]?.arrayValue)
                return list.compactMap { $0.objectValue?["entity_id"]?.stringValue }
            }
            #expect(try await names("/peers/discover?entity_id=alice") == ["alice"])
            #expect(try await names("/peers/discover?entity_id=nobody").isEmpty)
            #expect(try await names("/peers/discover?entity_id=carol").isEmpty, "the caller is not listed")
            for bad in ["/peers/discover?entity_id=a%20b", "/peers/discover?entity_id=alice&entity_id=bob"] {
                #expect(try await client.request(.get, bad, headers: [carol.bearer]).status == 400, "\(bad)")
            }
            await alice.close()
            await client.close()
        }
    }
}

