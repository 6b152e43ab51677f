import RingwayCrypto
import RingwayEnvelope
import RingwayRuntime
import Testing
@testable import RingwayClient

/// What the client decides from the capabilities document, its duplicate memory and its outbox.
struct ClientBookkeepingTests {
    func capabilities(versions: String, transports: String, websocket: Bool = true) throws -> ServerCapabilities {
        let paths = websocket ? #","websocket":{"peers":"/ws/v1/peers","events":"/ws/v1/events"}"# : ""
        let json = #"{"server_entity":"hub","protocol_versions":\#(versions),"transports":\#(transports)\#(paths),"max_message_bytes":1024,"heartbeat_interval_s":7}"#
        return try ServerCapabilities(json: Array(json.utf8))
    }

    @Test func websocketOnlyFromA12ServerThatListsIt() throws {
        let modern = try capabilities(versions: #"["1.1","1.2"]"#, transports: #"["websocket","http"]"#)
        #expect(modern.offersWebSocket)
        #expect(modern.heartbeatIntervalSeconds == 7 && modern.maxMessageBytes == 1024)
        // A 1.1-only server, or one that lists no websocket transport: the client uses HTTP.
        #expect(try !capabilities(versions: #"["1.1"]"#, transports: #"["websocket","http"]"#).offersWebSocket)
        #expect(try !capabilities(versions: #"["1.1","1.2"]"#, transports: #"["http"]"#, websocket: false).offersWebSocket)
        #expect(throws: ClientError.self) { try ServerCapabilities(json: Array(#"{"transports":[]}"#.utf8)) }
    }

    @Test func duplicatesAreRecognizedWithinTheMemoryAndForgottenOldestFirst() {
        var seen = SeenMessages(capacity: 2)
        let alice = EntityID("alice")!, bob = EntityID("bob")!
        let (one, two) = (WireUUID.v7(unixMilliseconds: 1), WireUUID.v7(unixMilliseconds: 2))
        var outcomes: [Bool] = []
        outcomes.append(seen.insert(sender: alice, messageID: one))
        outcomes.append(seen.insert(sender: alice, messageID: one))
        // The same id from another sender is another message.
        outcomes.append(seen.insert(sender: bob, messageID: one))
        outcomes.append(seen.insert(sender: alice, messageID: two))
        // Past the capacity the oldest (alice, one) was forgotten; (alice, two) was not.
        outcomes.append(seen.insert(sender: alice, messageID: one))
        outcomes.append(seen.insert(sender: alice, messageID: two))
        #expect(outcomes == [true, false, true, true, true, false])
    }

    @Test func aFullOutboxRefusesAtOnceAndStopFailsWhatWaits() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        let credentials = StaticCredentials(Credentials(entityID: EntityID("alice")!, key: Ed25519PrivateKey()))
        // Never started: nothing leaves the outbox.
        let client = try RingwayClient(
            configuration: RingwayClientConfiguration(server: "ws://127.0.0.1:9", credentials: credentials, outboxLimit: 2),
            loop: group.loops[0])
        let waiting = (0..<2).map { index in
            Task { try await client.send(to: EntityID("bob")!, payload: ["n": .number(Double(index))]) }
        }
        while await client.outboxCount < 2 { await Task.yield() }
        await #expect(throws: ClientError.outboxFull(limit: 2)) {
            try await client.send(to: EntityID("bob")!, payload: [:])
        }
        await client.stop()
        for task in waiting {
            await #expect(throws: ClientError.self) { try await task.value }
        }
        await group.shutdown()
    }
}

/// When a WebSocket client sends HEARTBEATs and when it gives up on a silent server.
struct HeartbeatScheduleTests {
    let start = ContinuousClock.now

    @Test func anIdleClientSendsOneHeartbeatPerInterval() {
        var schedule = HeartbeatSchedule(interval: .seconds(5), missedHeartbeats: 2, now: start)
        #expect(schedule.tick(now: start + .seconds(4)) == .wait)
        #expect(schedule.tick(now: start + .seconds(5)) == .sendHeartbeat)
        // The heartbeat counts as a send: the next one is a whole interval later.
        #expect(schedule.tick(now: start + .seconds(6)) == .wait)
        schedule.received(at: start + .seconds(6))
        #expect(schedule.tick(now: start + .seconds(9)) == .wait)
        #expect(schedule.tick(now: start + .seconds(10)) == .sendHeartbeat)
    }

    @Test func theClientWakesOnlyWhenAHeartbeatOrTheBoundIsDue() {
        var schedule = HeartbeatSchedule(interval: .seconds(5), missedHeartbeats: 2, now: start, phase: .seconds(1))
        // The phase brings the first heartbeat forward.
        #expect(schedule.nextCheck == start + .seconds(4))
        schedule.sent(at: start + .seconds(3))
        #expect(schedule.nextCheck == start + .seconds(8))
        // Sending without hearing back: the silence bound comes first.
        schedule.sent(at: start + .seconds(7))
        #expect(schedule.nextCheck == start + .seconds(10) + .milliseconds(1))
        #expect(schedule.tick(now: schedule.nextCheck) == .giveUp)
    }

    @Test func trafficReplacesTheHeartbeat() {
        var schedule = HeartbeatSchedule(interval: .seconds(5), missedHeartbeats: 2, now: start)
        for second in 1...30 {
            let now = start + .seconds(second)
            // A message (or an ACK) sent and its answer received every two seconds.
            if second.isMultiple(of: 2) {
                schedule.sent(at: now)
                schedule.received(at: now)
            }
            #expect(schedule.tick(now: now) == .wait)
        }
    }

    @Test func aSilentServerIsGivenUpAfterTheBoundEvenWhileSending() {
        var schedule = HeartbeatSchedule(interval: .seconds(5), missedHeartbeats: 2, now: start)
        for second in 1...10 {
            schedule.sent(at: start + .seconds(second))
            #expect(schedule.tick(now: start + .seconds(second)) == .wait)
        }
        #expect(schedule.tick(now: start + .milliseconds(10_001)) == .giveUp)
    }
}
