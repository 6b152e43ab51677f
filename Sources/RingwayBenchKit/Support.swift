import RingwayClient
import RingwayRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `CLOCK_MONOTONIC` in microseconds: one clock for every process of the machine, so a sender in
/// one process and a receiver in another measure one-way latency on the same time line.
public enum MonotonicClock {
    /// Microseconds since an arbitrary point (boot).
    public static func microseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    /// The `ContinuousClock` instant of a time given by ``microseconds()``.
    public static func instant(atMicroseconds time: Int64) -> ContinuousClock.Instant {
        ContinuousClock.now + .microseconds(time - microseconds())
    }
}

/// A flag set once (an early stop: interruption, or the parent process going away).
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Sets the flag.
    public func set() { flag.store(true, ordering: .relaxed) }

    /// Whether the flag is set.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// A value delivered once, awaited by any number of tasks; later deliveries are ignored.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Locked(State())

    /// Delivers `value` unless one was delivered before.
    func fulfill(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value if delivered, without waiting.
    var peek: Value? { state.withLock { $0.value } }

    /// The value, once delivered.
    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Waits until `done` answers true, `stop` is set, `deadline` passes or the task is cancelled,
/// checking every `tick`; answers whether `done` became true.
func waitUntil(
    _ deadline: ContinuousClock.Instant, stop: StopFlag, tick: Duration = .milliseconds(20), _ done: @Sendable () -> Bool
) async -> Bool {
    while true {
        if done() { return true }
        if stop.isSet || Task.isCancelled || ContinuousClock.now >= deadline { return done() }
        try? await Task.sleep(for: tick)
    }
}

/// Seconds as a `Duration`.
func seconds(_ value: Double) -> Duration {
    .milliseconds(Int64((max(0, value) * 1_000).rounded()))
}

/// What the live progress line shows, summed over processes.
public struct ProgressSnapshot: Codable, Sendable, Hashable {
    /// Messages handed to the client library (broadcasts for `fanout`).
    public var sent = 0
    /// Messages the server acknowledged (`delivered` or `queued`).
    public var acked = 0
    /// Messages received (deliveries to subscribers for `fanout`).
    public var received = 0
    /// Errors and timeouts so far.
    public var errors = 0
    /// Connections ready now.
    public var connections = 0
    /// `fanout`: subscribers that have every broadcast.
    public var complete = 0

    /// An empty snapshot.
    public init() {}

    /// The sum of `self` and `other`.
    public func adding(_ other: ProgressSnapshot) -> ProgressSnapshot {
        var sum = self
        sum.sent += other.sent
        sum.acked += other.acked
        sum.received += other.received
        sum.errors += other.errors
        sum.connections += other.connections
        sum.complete += other.complete
        return sum
    }
}

/// The counters of one process, updated from every loop.
final class LiveCounters: Sendable {
    let sent = Atomic<Int>(0)
    let acked = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let connections = Atomic<Int>(0)

    var snapshot: ProgressSnapshot {
        var snapshot = ProgressSnapshot()
        snapshot.sent = sent.load(ordering: .relaxed)
        snapshot.acked = acked.load(ordering: .relaxed)
        snapshot.received = received.load(ordering: .relaxed)
        snapshot.errors = errors.load(ordering: .relaxed)
        snapshot.connections = connections.load(ordering: .relaxed)
        return snapshot
    }
}

/// Errors by kind, with the first message of each kind (a few kinds at most) as an example.
final class ErrorTally: Sendable {
    private struct State {
        var kinds: [String: Int] = [:]
        var samples: [String] = []
    }

    static let maxSamples = 5
    private let state = Locked(State())
    private let counters: LiveCounters

    init(counters: LiveCounters) {
        self.counters = counters
    }

    /// Counts one error of `kind`, keeping `message` as an example while there are few.
    func count(_ kind: String, _ message: String) {
        counters.errors.add(1, ordering: .relaxed)
        state.withLock { state in
            // One example per kind: the first.
            if state.kinds[kind] == nil, state.samples.count < Self.maxSamples { state.samples.append("\(kind): \(message)") }
            state.kinds[kind, default: 0] += 1
        }
    }

    /// Counts `error` under its kind.
    func count(_ error: any Error, while doing: String) {
        count(Self.kind(of: error), "\(doing): \(error)")
    }

    var kinds: [String: Int] { state.withLock { $0.kinds } }
    var samples: [String] { state.withLock { $0.samples } }

    /// A short name for the kind of `error`, for the error table.
    static func kind(of error: any Error) -> String {
        guard let error = error as? ClientError else { return "other" }
        switch error {
        case .invalidURL: return "invalid_url"
        case .connectionFailed: return "connection_failed"
        case .httpError(let status, let code, _, _): return "http_\(status)" + (code.map { "_\($0.rawValue)" } ?? "")
        case .refused(let code, _): return "refused_\(code.rawValue)"
        case .closed: return "connection_closed"
        case .protocolViolation: return "protocol_violation"
        case .timedOut: return "timeout"
        case .outboxFull: return "outbox_full"
        case .stopped: return "stopped"
        case .credentials: return "credentials"
        }
    }
}
