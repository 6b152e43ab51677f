import Histogram

/// One-way latencies in microseconds, 1 µs to 60 s and beyond (the histogram grows), three
/// significant digits.
public typealias LatencyHistogram = Histogram<UInt64>

func makeLatencyHistogram() -> LatencyHistogram {
    var histogram = LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    histogram.autoResize = true
    return histogram
}

/// What one process measured for its share of a run; the parent adds those of its workers.
public struct ShareResult: Codable, Sendable {
    /// Messages handed to the client library (broadcasts for `fanout`).
    public var sent = 0
    /// Messages the server acknowledged with `delivered` or `queued`.
    public var acked = 0
    /// Messages received by their recipient (deliveries to subscribers for `fanout`).
    public var received = 0
    /// Acknowledged messages not received by the end of the drain period.
    public var lost = 0
    /// Messages with no answer from the server by the end of the drain period.
    public var timeouts = 0
    /// Errors by kind (failed sends, failed or dropped connections).
    public var errors: [String: Int] = [:]
    /// The first few error messages.
    public var errorSamples: [String] = []
    /// Connections (sessions or subscriptions) the share opened, or tried to.
    public var connectionsRequested = 0
    /// Of those, the ones that became ready.
    public var connectionsEstablished = 0
    /// Ready connections that dropped before the end.
    public var connectionsDropped = 0
    /// One-way latency of each received message, in microseconds.
    public var latency = makeLatencyHistogram()
    /// Time to become ready, per established connection, in microseconds.
    public var connectTime = makeLatencyHistogram()
    /// `fanout`: per broadcast sequence number, the subscribers that received it.
    public var broadcastDeliveries: [Int: Int] = [:]
    /// `fanout`: per broadcast sequence number, the longest time a subscriber waited for it (µs).
    public var broadcastSlowest: [Int: UInt64] = [:]
    /// `fanout`: subscriptions registered by the server.
    public var subscribersEstablished = 0
    /// `fanout`: the sequence numbers the server acknowledged.
    public var broadcastsAcked: [Int] = []
    /// Seconds during which messages were sent.
    public var sendSeconds = 0.0

    /// An empty result.
    public init() {}

    /// Errors of every kind, with the timeouts.
    public var errorCount: Int { errors.values.reduce(0, +) }

    /// Adds `other` (another process's share) to this one.
    public mutating func merge(_ other: ShareResult) {
        sent += other.sent
        acked += other.acked
        received += other.received
        lost += other.lost
        timeouts += other.timeouts
        errors.merge(other.errors, uniquingKeysWith: +)
        for sample in other.errorSamples where errorSamples.count < ErrorTally.maxSamples && !errorSamples.contains(sample) {
            errorSamples.append(sample)
        }
        connectionsRequested += other.connectionsRequested
        connectionsEstablished += other.connectionsEstablished
        connectionsDropped += other.connectionsDropped
        latency.add(other.latency)
        connectTime.add(other.connectTime)
        subscribersEstablished += other.subscribersEstablished
        broadcastDeliveries.merge(other.broadcastDeliveries, uniquingKeysWith: +)
        broadcastSlowest.merge(other.broadcastSlowest, uniquingKeysWith: { Swift.max($0, $1) })
        broadcastsAcked = Array(Set(broadcastsAcked).union(other.broadcastsAcked)).sorted()
        sendSeconds = Swift.max(sendSeconds, other.sendSeconds)
    }
}
