import Foundation

/// Percentiles of a latency histogram, in milliseconds.
public struct LatencySummary: Codable, Sendable, Hashable {
    /// Values recorded.
    public var count: UInt64
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 99th percentile.
    public var p99: Double
    /// 99.9th percentile.
    public var p999: Double
    /// Largest value.
    public var max: Double
    /// Arithmetic mean.
    public var mean: Double

    init?(_ histogram: LatencyHistogram) {
        guard histogram.totalCount > 0 else { return nil }
        func ms(_ microseconds: UInt64) -> Double { (Double(microseconds) / 1_000 * 1_000).rounded() / 1_000 }
        count = histogram.totalCount
        p50 = ms(histogram.valueAtPercentile(50))
        p90 = ms(histogram.valueAtPercentile(90))
        p99 = ms(histogram.valueAtPercentile(99))
        p999 = ms(histogram.valueAtPercentile(99.9))
        max = ms(histogram.max)
        mean = (histogram.mean / 1_000 * 1_000).rounded() / 1_000
    }

    var line: String {
        "p50 \(Self.format(p50))  p90 \(Self.format(p90))  p99 \(Self.format(p99))  p99.9 \(Self.format(p999))  max \(Self.format(max))  (\(count) samples)"
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.3f", value)
    }
}

/// The outcome of a run: the counts of every process added up, what they mean, and whether the
/// run was clean (no loss, no error, no timeout, every connection established).
public struct BenchReport: Codable, Sendable {
    /// The workload run.
    public var workload: Workload
    /// The server tested.
    public var server: String
    /// Whether the tool started the daemon itself.
    public var spawnedDaemon: Bool
    /// Processes that ran connections.
    public var processes: Int
    /// The workload's parameters (numbers; flags as 0/1).
    public var parameters: [String: Double]
    /// Messages handed to the client library (broadcasts for `fanout`).
    public var sent: Int
    /// Messages the server acknowledged with `delivered` or `queued`.
    public var acked: Int
    /// Messages received (deliveries to subscribers for `fanout`).
    public var received: Int
    /// Acknowledged messages not received by the end of the drain period.
    public var lost: Int
    /// Messages with no answer from the server by the end of the drain period.
    public var timeouts: Int
    /// Errors of every kind (timeouts and losses are counted apart).
    public var errors: Int
    /// Errors by kind.
    public var errorKinds: [String: Int]
    /// The first message of a few kinds of error.
    public var errorSamples: [String]
    /// Connections opened or tried (sessions, subscriptions, the broadcaster).
    public var connectionsRequested: Int
    /// Of those, the ones that became ready.
    public var connectionsEstablished: Int
    /// Ready connections that dropped before the end.
    public var connectionsDropped: Int
    /// Seconds during which messages were sent.
    public var sendSeconds: Double
    /// Seconds from the start of the run to its end.
    public var elapsedSeconds: Double
    /// Messages received per second of sending (deliveries for `fanout`).
    public var messagesPerSecond: Double
    /// One-way latency of each received message (each delivery for `fanout`).
    public var latencyMs: LatencySummary?
    /// Time for a connection to become ready.
    public var connectMs: LatencySummary?
    /// `fanout`: deliveries expected (subscribers × acknowledged broadcasts).
    public var deliveriesExpected: Int?
    /// `fanout`: broadcasts that reached every subscriber.
    public var broadcastsComplete: Int?
    /// `fanout`: per broadcast, the time until the last subscriber had it.
    public var fanoutCompleteMs: LatencySummary?
    /// The daemon's largest resident memory seen during the run, when known.
    public var daemonRSSBytes: Int?
    /// Whether the run was clean.
    public var ok: Bool
    /// What made it not clean, one line each.
    public var problems: [String]

    /// Builds the report of `spec` from the merged result.
    public init(
        spec: BenchSpec, result: ShareResult, spawnedDaemon: Bool, processes: Int, elapsedSeconds: Double, daemonRSSBytes: Int?
    ) {
        workload = spec.workload
        server = spec.server
        self.spawnedDaemon = spawnedDaemon
        self.processes = processes
        var parameters: [String: Double] = ["payload_bytes": Double(spec.payloadBytes), "verify_signatures": spec.verifySignatures ? 1 : 0]
        switch spec.workload {
        case .latency:
            parameters["connections"] = Double(spec.connections)
            parameters["rate"] = Double(spec.rate)
            parameters["duration_s"] = spec.duration
        case .throughput:
            parameters["pairs"] = Double(spec.pairs)
            parameters["in_flight"] = Double(spec.inFlight)
            parameters["duration_s"] = spec.duration
        case .connections:
            parameters["connections"] = Double(spec.connections)
            parameters["hold_s"] = spec.hold
            parameters.removeValue(forKey: "payload_bytes")
        case .fanout:
            parameters["subscribers"] = Double(spec.subscribers)
            parameters["broadcasts"] = Double(spec.broadcasts)
            parameters["duration_s"] = spec.duration
        }
        self.parameters = parameters
        sent = result.sent
        acked = result.acked
        received = result.received
        timeouts = result.timeouts
        errorKinds = result.errors
        errors = result.errorCount
        errorSamples = result.errorSamples
        connectionsRequested = result.connectionsRequested
        connectionsEstablished = result.connectionsEstablished
        connectionsDropped = result.connectionsDropped
        sendSeconds = (result.sendSeconds * 1_000).rounded() / 1_000
        self.elapsedSeconds = (elapsedSeconds * 1_000).rounded() / 1_000
        messagesPerSecond = result.sendSeconds > 0 ? (Double(result.received) / result.sendSeconds * 10).rounded() / 10 : 0
        latencyMs = LatencySummary(result.latency)
        connectMs = LatencySummary(result.connectTime)
        self.daemonRSSBytes = daemonRSSBytes
        lost = result.lost
        if spec.workload == .fanout {
            let subscribers = result.subscribersEstablished
            let ackedSeqs = result.broadcastsAcked
            var slowest = makeLatencyHistogram()
            var complete = 0
            var missing = 0
            for seq in ackedSeqs {
                let got = result.broadcastDeliveries[seq] ?? 0
                missing += max(0, subscribers - got)
                if got >= subscribers {
                    complete += 1
                    _ = slowest.record(max(1, result.broadcastSlowest[seq] ?? 1))
                }
            }
            lost = missing
            deliveriesExpected = subscribers * ackedSeqs.count
            broadcastsComplete = complete
            fanoutCompleteMs = LatencySummary(slowest)
        }
        var problems: [String] = []
        if lost > 0 { problems.append("LOST \(lost) messages") }
        if timeouts > 0 { problems.append("\(timeouts) messages without an answer from the server by the end of the drain period") }
        if errors > 0 {
            let kinds = errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            problems.append("\(errors) errors (\(kinds))")
        }
        let failed = connectionsRequested - connectionsEstablished
        if failed > 0 { problems.append("\(failed) of \(connectionsRequested) connections failed") }
        if spec.workload != .connections, sent == 0 { problems.append("nothing was sent") }
        self.problems = problems
        ok = problems.isEmpty
    }

    /// The summary table, for people.
    public var text: String {
        var lines: [String] = []
        func row(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        lines.append("ringway-bench \(workload.rawValue)")
        row("server", server + (spawnedDaemon ? " (started by ringway-bench)" : "") + ", \(processes) process" + (processes == 1 ? "" : "es"))
        row("parameters", parameters.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=" + (value == value.rounded() ? String(Int(value)) : String(value))
        }.joined(separator: " "))
        if workload != .connections {
            row("messages", "sent \(sent)  acked \(acked)  received \(received)  lost \(lost)  timeouts \(timeouts)  errors \(errors)")
            row("rate", String(format: "%.1f msg/s received over %.2f s of sending", messagesPerSecond, sendSeconds))
        }
        if let latencyMs { row(workload == .fanout ? "delivery ms" : "latency ms", latencyMs.line) }
        if workload == .fanout {
            row("fanout", "\(broadcastsComplete ?? 0) of \(acked) broadcasts reached every subscriber; deliveries \(received) of \(deliveriesExpected ?? 0)")
            if let fanoutCompleteMs { row("all have it", fanoutCompleteMs.line) }
        }
        row("connections", "requested \(connectionsRequested)  established \(connectionsEstablished)  failed \(connectionsRequested - connectionsEstablished)  dropped \(connectionsDropped)")
        if let connectMs { row("connect ms", connectMs.line) }
        if workload == .connections, errors > 0 || connectionsRequested != connectionsEstablished { row("errors", "\(errors)") }
        row("daemon RSS", daemonRSSBytes.map { String(format: "%.1f MiB (largest seen)", Double($0) / 1_048_576) } ?? "unknown")
        for sample in errorSamples { row("error", sample) }
        row("result", ok ? "OK" : problems.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }

    /// The report as one line of JSON, for scripts.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
