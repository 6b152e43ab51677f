/// When a WebSocket client sends a `HEARTBEAT` and when it gives up on a silent server. Sans-I/O:
/// the client feeds it what it sent and received, and asks it at each tick.
///
/// A `HEARTBEAT` goes out only after a whole interval in which the client sent nothing: a client
/// that is sending messages or acknowledgements already shows the server it is alive, and the
/// server's answers (ACKs) show the client the same. An idle client sends one per interval, and its
/// answer keeps the silence bound from passing.
struct HeartbeatSchedule {
    enum Action: Equatable {
        case wait
        case sendHeartbeat
        /// Nothing arrived within the bound: the server or the path is gone.
        case giveUp
    }

    let interval: Duration
    /// How long the server may stay silent.
    let bound: Duration
    private(set) var lastSent: ContinuousClock.Instant
    private(set) var lastReceived: ContinuousClock.Instant

    /// `phase` (at most `interval`) brings the first heartbeat forward: clients that connected
    /// together (a restart, a load test) would otherwise send theirs in the same instant, every
    /// interval.
    init(interval: Duration, missedHeartbeats: Int, now: ContinuousClock.Instant, phase: Duration = .zero) {
        self.interval = interval
        self.bound = interval * max(1, missedHeartbeats)
        lastSent = now - min(max(phase, .zero), interval)
        lastReceived = now
    }

    /// When ``tick(now:)`` next has something to do, given nothing is sent or received before:
    /// the client sleeps until then (once per interval when idle, not on a fixed tick).
    var nextCheck: ContinuousClock.Instant {
        min(lastSent + interval, lastReceived + bound + .milliseconds(1))
    }

    mutating func sent(at now: ContinuousClock.Instant) { lastSent = max(lastSent, now) }
    mutating func received(at now: ContinuousClock.Instant) { lastReceived = max(lastReceived, now) }

    /// What to do at `now`; `.sendHeartbeat` counts as a send.
    mutating func tick(now: ContinuousClock.Instant) -> Action {
        if now - lastReceived > bound { return .giveUp }
        guard now - lastSent >= interval else { return .wait }
        lastSent = now
        return .sendHeartbeat
    }
}
