import Foundation
import Logging
import RingwayBenchKit
import RingwayRuntime
import RingwayServer
import Testing

/// Each workload, briefly, against an in-process daemon on 127.0.0.1 (plain ws, limits off):
/// the reported counts must add up and the run must be clean.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WorkloadTests {
    /// A daemon on its own loops with the limits a load test needs turned off.
    static func withDaemon<T>(_ body: (String) async throws -> T) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.listen = try SocketAddress(host: "127.0.0.1", port: 0)
        configuration.tls = false
        configuration.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("ringway-bench-\(UUID().uuidString)").path
        configuration.loopCount = 2
        configuration.maxConnectionsPerIP = 0
        configuration.handshakeRatePerIP = 0
        configuration.messageRatePerEntity = 0
        configuration.byteRatePerEntity = 0
        configuration.logLevel = .warning
        var logger = Logger(label: "ringwayd") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .warning
        let node = try await RingwayNode.start(configuration: configuration, logger: logger)
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        do {
            let result = try await body(node.url)
            await node.shutdown()
            return result
        } catch {
            await node.shutdown()
            throw error
        }
    }

    func run(_ spec: BenchSpec) async throws -> BenchReport {
        var runner = BenchRunner(spec: spec)
        runner.processes = 1
        let report = try await runner.run()
        // The JSON line decodes back to the same counts.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let decoded = try decoder.decode(BenchReport.self, from: Data(report.json.utf8))
        #expect(decoded.sent == report.sent && decoded.received == report.received && decoded.ok == report.ok)
        return report
    }

    @Test func latencyCountsEveryMessage() async throws {
        try await Self.withDaemon { url in
            var spec = BenchSpec(workload: .latency, server: url)
            spec.connections = 4
            spec.rate = 200
            spec.duration = 1
            spec.drain = 5
            spec.payloadBytes = 128
            let report = try await run(spec)
            #expect(report.problems == [])
            #expect(report.ok)
            #expect(report.connectionsRequested == 4)
            #expect(report.connectionsEstablished == 4)
            // 200 msg/s for 1 s, each connection on its own schedule.
            #expect(report.sent >= 190 && report.sent <= 204)
            #expect(report.acked == report.sent)
            #expect(report.received == report.sent)
            #expect(report.lost == 0 && report.errors == 0 && report.timeouts == 0)
            #expect(report.latencyMs?.count == UInt64(report.received))
            #expect((report.latencyMs?.p50 ?? 0) > 0)
            #expect((report.latencyMs?.max ?? 0) >= (report.latencyMs?.p99 ?? 0))
        }
    }

    @Test func throughputKeepsTheWindowFull() async throws {
        try await Self.withDaemon { url in
            var spec = BenchSpec(workload: .throughput, server: url)
            spec.pairs = 2
            spec.inFlight = 4
            spec.duration = 1
            spec.drain = 5
            let report = try await run(spec)
            #expect(report.problems == [])
            #expect(report.connectionsEstablished == 4)
            #expect(report.sent > 8)
            #expect(report.acked == report.sent)
            #expect(report.received == report.sent)
            #expect(report.lost == 0 && report.errors == 0 && report.timeouts == 0)
            #expect(report.latencyMs?.count == UInt64(report.received))
            #expect(report.messagesPerSecond > 0)
        }
    }

    @Test func connectionsAreAllEstablishedAndHeld() async throws {
        try await Self.withDaemon { url in
            var spec = BenchSpec(workload: .connections, server: url)
            spec.connections = 20
            spec.hold = 1
            spec.verifySignatures = false
            let report = try await run(spec)
            #expect(report.problems == [])
            #expect(report.connectionsRequested == 20)
            #expect(report.connectionsEstablished == 20)
            #expect(report.connectionsDropped == 0)
            #expect(report.errors == 0)
            #expect(report.connectMs?.count == 20)
        }
    }

    @Test func fanoutReachesEverySubscriber() async throws {
        try await Self.withDaemon { url in
            var spec = BenchSpec(workload: .fanout, server: url)
            spec.subscribers = 5
            spec.broadcasts = 3
            spec.duration = 1
            spec.drain = 5
            let report = try await run(spec)
            #expect(report.problems == [])
            #expect(report.sent == 3)
            #expect(report.acked == 3)
            #expect(report.received == 15)
            #expect(report.deliveriesExpected == 15)
            #expect(report.broadcastsComplete == 3)
            #expect(report.lost == 0 && report.errors == 0)
            #expect(report.latencyMs?.count == 15)
            #expect(report.fanoutCompleteMs?.count == 3)
            // 5 subscribers and the broadcaster.
            #expect(report.connectionsEstablished == 6)
        }
    }

    @Test func sharesMergeAndLossesFailTheRun() {
        var spec = BenchSpec(workload: .latency, server: "ws://127.0.0.1:1")
        spec.connections = 20_000
        #expect(BenchRunner.processesNeeded(for: spec, budget: 8_000) == 3)
        spec.connections = 4
        #expect(BenchRunner.processesNeeded(for: spec, budget: 8_000) == 1)

        var first = ShareResult()
        first.sent = 10
        first.acked = 10
        first.received = 9
        first.lost = 1
        first.errors = ["outbox_full": 2]
        first.connectionsRequested = 2
        first.connectionsEstablished = 2
        var second = ShareResult()
        second.sent = 5
        second.acked = 5
        second.received = 5
        second.errors = ["outbox_full": 1, "timeout": 1]
        second.connectionsRequested = 2
        second.connectionsEstablished = 2
        first.merge(second)
        #expect(first.sent == 15 && first.received == 14 && first.lost == 1)
        #expect(first.errors == ["outbox_full": 3, "timeout": 1])
        let report = BenchReport(spec: spec, result: first, spawnedDaemon: false, processes: 2, elapsedSeconds: 1, daemonRSSBytes: nil)
        #expect(!report.ok)
        #expect(report.problems.contains("LOST 1 messages"))
        #expect(report.text.contains("LOST 1 messages"))
        #expect(report.problems.contains { $0.hasPrefix("4 errors") })
    }

    /// A worker's result crosses the process boundary as JSON: histograms and per-broadcast
    /// counts survive the trip and merge.
    @Test func workerResultsRoundTripThroughJSON() throws {
        var result = ShareResult()
        result.received = 3
        for value: UInt64 in [120, 450, 9_000] { _ = result.latency.record(value) }
        result.broadcastDeliveries = [0: 2, 1: 1]
        result.broadcastSlowest = [0: 900, 1: 450]
        let data = try JSONEncoder().encode(result)
        let decoded = try JSONDecoder().decode(ShareResult.self, from: data)
        #expect(decoded.latency.totalCount == 3)
        #expect(decoded.latency.valueAtPercentile(50) == result.latency.valueAtPercentile(50))
        #expect(decoded.latency.max == result.latency.max)
        var merged = decoded
        merged.merge(decoded)
        #expect(merged.latency.totalCount == 6)
        #expect(merged.received == 6)
        #expect(merged.broadcastDeliveries == [0: 4, 1: 2])
        #expect(merged.broadcastSlowest == [0: 900, 1: 450])
    }
}
