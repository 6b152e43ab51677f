import Synchronization

/// A latency histogram with fixed, log-spaced buckets from 10 µs to 10 s (1, 2.5, 5 per decade),
/// exposed in seconds as a Prometheus histogram. Recording is two relaxed atomic additions.
final class LatencyHistogram: Sendable {
    /// Upper bounds of the buckets, in nanoseconds, ascending.
    static let bounds: [UInt64] = [
        10_000, 25_000, 50_000,
        100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000,
        10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000, 5_000_000_000,
        10_000_000_000,
    ]
    /// The `le` label of each bound, in seconds.
    static let labels = [
        "0.00001", "0.000025", "0.00005",
        "0.0001", "0.00025", "0.0005",
        "0.001", "0.0025", "0.005",
        "0.01", "0.025", "0.05",
        "0.1", "0.25", "0.5",
        "1", "2.5", "5",
        "10",
    ]

    /// Per-bucket (not cumulative) counts; the last one is `+Inf`.
    private let counts = (0...LatencyHistogram.bounds.count).map { _ in Counter() }
    private let sumNanoseconds = Atomic<UInt64>(0)

    /// Records one observation.
    func record(nanoseconds: UInt64) {
        var bucket = 0
        while bucket < Self.bounds.count, nanoseconds > Self.bounds[bucket] { bucket += 1 }
        counts[bucket].add(1)
        sumNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    /// Observations recorded so far.
    var count: Int { counts.reduce(0) { $0 + $1.value } }

    /// Writes `name_bucket{le=…}` (cumulative), `name_sum` (seconds) and `name_count`.
    func write(_ name: String, help: String, into out: inout PrometheusWriter) {
        out.family(name, .histogram, help)
        var cumulative = 0
        for (index, label) in Self.labels.enumerated() {
            cumulative += counts[index].value
            out.sample(name + "_bucket", ["le": label], cumulative)
        }
        // `_count` equals the `+Inf` bucket even while observations are being recorded.
        cumulative += counts[Self.bounds.count].value
        out.sample(name + "_bucket", ["le": "+Inf"], cumulative)
        out.sample(name + "_sum", seconds: Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9)
        out.sample(name + "_count", cumulative)
    }
}
