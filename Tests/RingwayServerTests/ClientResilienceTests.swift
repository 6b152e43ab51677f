import Foundation
import RingwayClient
import RingwayCrypto
import RingwayEnvelope
import RingwayRuntime
import RingwayServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `RingwayClient` when the daemon goes away: a restart mid-stream, and a daemon that stops
/// responding (SIGSTOP) without closing anything.
@Suite(.timeLimit(.minutes(2)))
struct ClientResilienceTests {
    func client(_ url: String, _ entity: String, loop: EventLoop, configure: (inout RingwayClientConfiguration) -> Void = { _ in }) throws -> RingwayClient {
        var configuration = RingwayClientConfiguration(
            server: url, credentials: StaticCredentials(Credentials(entityID: EntityID(entity)!, key: Ed25519PrivateKey())),
            backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(500)))
        configure(&configuration)
        return try RingwayClient(configuration: configuration, loop: loop)
    }

    func until(_ states: inout AsyncStream<ConnectionState>.Iterator, _ predicate: (ConnectionState) -> Bool) async throws {
        while let state = await states.next() {
            if predicate(state) { return }
        }
        throw TestFailure("the client stopped")
    }

    @Test func daemonRestartMidStreamLosesAndDuplicatesNothing() async throws {
        var configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_TLS": "off", "RINGWAY_LISTEN": "127.0.0.1:0", "RINGWAY_DATA_DIR": try temporaryDirectory() + "/data",
            "RINGWAY_LOOPS": "2", "RINGWAY_SHUTDOWN_DRAIN_S": "0",
        ])
        let logger = RingwayLogHandler.logger(level: .info, format: .text, output: LogOutput.memory())
        let first = try await RingwayNode.start(configuration: configuration, logger: logger)
        // The restarted daemon listens on the same port.
        configuration.listen = first.localAddress
        let clients = try EventLoopGroup(loopCount: 1)
        defer { clients.syncShutdown() }
        let url = "ws://\(first.localAddress)"
        let alice = try client(url, "alice", loop: clients.loops[0])
        let bob = try client(url, "bob", loop: clients.loops[0])
        var aliceStates = alice.states.makeAsyncIterator()
        var bobStates = bob.states.makeAsyncIterator()
        await alice.start()
        await bob.start()
        try await until(&aliceStates) { $0 == .ready(.websocket) }
        try await until(&bobStates) { $0 == .ready(.websocket) }

        let received = Task {
            var values: [Int64] = []
            for await message in bob.messages {
                values.append(message.envelope.payload["n"]?.safeIntegerValue ?? -1)
                if values.count == 30 { break }
            }
            return values
        }
        for n in 0..<10 {
            _ = try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))])
        }
        // Down: the next ten wait in Alice's outbox until the daemon is back.
        await first.shutdown()
        let during = Task {
            for n in 10..<20 {
                _ = try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))])
            }
        }
        try await until(&aliceStates) { if case .reconnecting = $0 { true } else { false } }
        let second = try await RingwayNode.start(configuration: configuration, logger: logger)
        try await during.value
        for n in 20..<30 {
            _ = try await alice.send(to: EntityID("bob")!, payload: ["n": .number(Double(n))])
        }
        let values = await received.value
        #expect(values.sorted() == Array(0..<30))
        #expect(Set(values).count == 30)
        await alice.stop()
        await bob.stop()
        await second.shutdown()
    }

    @Test func stoppedDaemonIsDetectedByHeartbeatWithinTheBound() async throws {
        // ringwayd is built next to the test binary.
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let binary = URL(fileURLWithPath: testBinary).deletingLastPathComponent().appendingPathComponent("ringwayd").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build ringwayd first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve"]
        process.environment = [
            "RINGWAY_TLS": "off", "RINGWAY_LISTEN": "127.0.0.1:0", "RINGWAY_DATA_DIR": try temporaryDirectory() + "/data",
            "RINGWAY_HEARTBEAT_INTERVAL_S": "1", "RINGWAY_LOG_FORMAT": "json", "RINGWAY_LOOPS": "1",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // The listening line carries the URL.
        var url: String?
        var buffered = Data()
        while url == nil {
            let chunk = stderr.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "ringwayd exited before listening")
            buffered.append(chunk)
            for line in String(decoding: buffered, as: UTF8.self).split(separator: "\n") where line.contains("\"listening\"") {
                if let range = line.range(of: #""url":"([^"]+)""#, options: .regularExpression) {
                    url = String(line[range].dropFirst(7).dropLast())
                }
            }
        }
        let clients = try EventLoopGroup(loopCount: 1)
        defer { clients.syncShutdown() }
        let alice = try client(try #require(url), "alice", loop: clients.loops[0]) { $0.missedHeartbeats = 2 }
        var states = alice.states.makeAsyncIterator()
        await alice.start()
        try await until(&states) { $0 == .ready(.websocket) }

        kill(process.processIdentifier, SIGSTOP)
        let clock = ContinuousClock()
        let stopped = clock.now
        try await until(&states) { if case .reconnecting = $0 { true } else { false } }
        let detected = clock.now - stopped
        // Two silent heartbeat intervals of 1 s, checked every quarter interval.
        #expect(detected >= .seconds(1))
        #expect(detected <= .milliseconds(2_750))
        await alice.stop()
    }
}
