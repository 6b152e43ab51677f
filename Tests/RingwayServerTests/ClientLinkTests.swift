import Foundation
import RingwayClient
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayRuntime
import RingwayServer
import Synchronization
import Testing

/// Refuses the WebSocket upgrade of one entity while closed (as a proxy that blocks WebSocket
/// would), and passes everything else to the daemon's upgrader.
final class GatedUpgrader: HTTPUpgrader {
    /// The daemon's upgrader, set once the server (and its hub) exists.
    let inner = Locked<PeerUpgrader?>(nil)
    let entity: String
    let closed = Atomic<Bool>(true)

    init(entity: String) {
        self.entity = entity
    }

    func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision {
        let target = (try? request.head.queryParameters())?["entity_id"]
        guard let inner = inner.withLock({ $0 }), !(closed.load(ordering: .relaxed) && target == entity) else {
            return .refuse(.error(status: .serviceUnavailable, code: "INTERNAL", message: "WebSocket blocked for this test"))
        }
        return await inner.upgrade(request, context: context)
    }
}

/// `RingwayClient` against an in-process daemon over loopback (plain ws).
@Suite(.timeLimit(.minutes(2)))
struct ClientLinkTests {
    func client(
        _ server: TestServer, _ entity: String, key: Ed25519PrivateKey = Ed25519PrivateKey(), port: UInt16? = nil,
        configure: (inout RingwayClientConfiguration) -> Void = { _ in }
    ) throws -> RingwayClient {
        var configuration = RingwayClientConfiguration(
            server: "ws://127.0.0.1:\(port ?? server.address.port)",
            credentials: StaticCredentials(Credentials(entityID: EntityID(entity)!, key: key)),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        configure(&configuration)
        return try RingwayClient(configuration: configuration, loop: server.clientLoop)
    }

    /// Reads states until one satisfies `predicate`.
    func until(
        _ states: inout AsyncStream<ConnectionState>.Iterator, _ predicate: (ConnectionState) -> Bool
    ) async throws -> ConnectionState {
        while let state = await states.next() {
            if predicate(state) { return state }
        }
        throw TestFailure("the client stopped")
    }

    /// Receives `count` messages and returns their `n` payload values.
    func receive(_ count: Int, _ messages: inout ClientMessages.AsyncIterator) async throws -> [Int64] {
        var values: [Int64] = []
        while values.count < count, let message = await messages.next() {
            values.append(try #require(message.envelope.payload["n"]?.safeIntegerValue))
        }
        return values
    }

    @Test func twoEntitiesOverWebSocketBothWays() async throws {
        try await withServer { server in
            let alice = try client(server, "alice")
            let bob = try client(server, "bob")
            var aliceStates = alice.states.makeAsyncIterator()
            var bobStates = bob.states.makeAsyncIterator()
            await alice.start()
            await bob.start()
            _ = try await until(&aliceStates) { $0 == .ready(.websocket) }
            _ = try await until(&bobStates) { $0 == .ready(.websocket) }

            var bobInbox = bob.messages.makeAsyncIterator()
            var aliceInbox = alice.messages.makeAsyncIterator()
            for n in 0..<5 {
                #expect(try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))]) == .delivered)
            }
            #expect(try await receive(5, &bobInbox) == [0, 1, 2, 3, 4])
            for n in 5..<10 {
                #expect(try await bob.send(to: EntityID("alice")!, payload: ["n": .number(Double(n))]) == .delivered)
            }
            #expect(try await receive(5, &aliceInbox) == [5, 6, 7, 8, 9])

            // Taking a message acknowledges it: the recipient's `received` reaches the sender.
            var reports = alice.reports.makeAsyncIterator()
            var received = 0
            while received < 5, let report = await reports.next() {
                if report.status == .received, report.from == EntityID("bob")! { received += 1 }
            }
            #expect(received == 5)
            #expect(server.peers.heldCount(for: EntityID("bob")!) == 0)
            await alice.stop()
            await bob.stop()
        }
    }

    @Test func blockedWebSocketFallsBackToHTTPAndMovesBackWithoutLossOrDuplicates() async throws {
        let upgrader = GatedUpgrader(entity: "bob")
        try await withServer(routes: { $0.addUpgrade(DaemonRoutes.peersPath, upgrader) }) { server in
            upgrader.inner.withLock { $0 = PeerUpgrader(hub: server.peers) }
            do {
                let alice = try client(server, "alice")
                let bob = try client(server, "bob") { configuration in
                    configuration.websocketFailuresBeforeHTTP = 1
                    configuration.websocketProbeInterval = .milliseconds(200)
                    configuration.pollWaitSeconds = 5
                }
                var aliceStates = alice.states.makeAsyncIterator()
                var bobStates = bob.states.makeAsyncIterator()
                await alice.start()
                await bob.start()
                _ = try await until(&aliceStates) { $0 == .ready(.websocket) }
                _ = try await until(&bobStates) { $0 == .ready(.http) }

                var bobInbox = bob.messages.makeAsyncIterator()
                var aliceInbox = alice.messages.makeAsyncIterator()
                for n in 0..<5 {
                    #expect(try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))]) == .queued)
                }
                #expect(try await receive(5, &bobInbox) == [0, 1, 2, 3, 4])
                for n in 100..<105 {
                    #expect(try await bob.send(to: EntityID("alice")!, payload: ["n": .number(Double(n))]) == .delivered)
                }
                #expect(try await receive(5, &aliceInbox) == [100, 101, 102, 103, 104])

                // WebSocket works again: Bob moves back by himself.
                upgrader.closed.store(false, ordering: .relaxed)
                _ = try await until(&bobStates) { $0 == .ready(.websocket) }
                for n in 5..<10 {
                    #expect(try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))]) == .delivered)
                }
                for n in 105..<110 {
                    #expect(try await bob.send(to: EntityID("alice")!, payload: ["n": .number(Double(n))]) == .delivered)
                }
                // Exactly once: the next five are the new ones, nothing handed out again.
                #expect(try await receive(5, &bobInbox) == [5, 6, 7, 8, 9])
                #expect(try await receive(5, &aliceInbox) == [105, 106, 107, 108, 109])
                #expect(bob.bufferedMessageCount == 0)
                #expect(alice.bufferedMessageCount == 0)
                await alice.stop()
                await bob.stop()
            }
        }
    }
}


/// `PeerService`: one surface over links to two daemons.
@Suite(.timeLimit(.minutes(2)))
struct PeerServiceTests {
    @Test func sendsThroughTheLinkWhoseServerKnowsTheEntityAndMergesWhatArrives() async throws {
        try await withServer { north in
            try await withServer { south in
                let links = ClientLinkTests()
                let bob = try links.client(north, "bob")
                let carol = try links.client(south, "carol")
                var bobStates = bob.states.makeAsyncIterator()
                var carolStates = carol.states.makeAsyncIterator()
                await bob.start()
                await carol.start()
                _ = try await links.until(&bobStates) { $0 == .ready(.websocket) }
                _ = try await links.until(&carolStates) { $0 == .ready(.websocket) }

                let key = Ed25519PrivateKey()
                let service = PeerService(loop: north.clientLoop)
                for (name, server) in [("north", north), ("south", south)] {
                    try await service.addLink(name, configuration: RingwayClientConfiguration(
                        server: "ws://\(server.address)", credentials: StaticCredentials(Credentials(entityID: EntityID("alice")!, key: key))))
                }
                #expect(try await service.send(to: EntityID("bob")!, payload: ["n": 1]) == .delivered)
                #expect(try await service.send(to: EntityID("carol")!, payload: ["n": 2]) == .delivered)
                await #expect(throws: ClientError.self) { try await service.send(to: EntityID("dave")!, payload: [:]) }
                var bobInbox = bob.messages.makeAsyncIterator()
                var carolInbox = carol.messages.makeAsyncIterator()
                #expect(await bobInbox.next()?.envelope.payload["n"] == 1)
                #expect(await carolInbox.next()?.envelope.payload["n"] == 2)
                _ = try await carol.send(to: EntityID("alice")!, payload: ["from": "carol"])
                _ = try await bob.send(to: EntityID("alice")!, payload: ["from": "bob"])
                var arrived: [String: String] = [:]
                for await delivery in service.messages {
                    arrived[delivery.link] = delivery.message.envelope.payload["from"]?.stringValue
                    if arrived.count == 2 { break }
                }
                #expect(arrived == ["north": "bob", "south": "carol"])
                await service.stop()
                await bob.stop()
                await carol.stop()
            }
        }
    }
}
