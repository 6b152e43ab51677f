import RingwayCrypto
import RingwayRuntime

/// Applies the timeouts of peer sessions (HELLO, silence, token expiry) from one task per event
/// loop that looks at every session of its loop each period, instead of a sleeping task per
/// session: an idle session then costs neither a task's memory nor wakeups of its own.
final class SessionTimeouts: Sendable {
    private let period: Duration
    private let clock: any UnixClock
    private let sweeps = Locked<[ObjectIdentifier: LoopSweep]>([:])

    /// `clock` is the hub's: the deadlines are its milliseconds.
    init(period: Duration, clock: any UnixClock) {
        self.period = period
        self.clock = clock
    }

    /// Starts watching `session`; called on its loop.
    func add(_ session: PeerSession) {
        sweep(for: session.loop).add(session)
    }

    /// Stops watching `session`; called on its loop.
    func remove(_ session: PeerSession) {
        sweep(for: session.loop).remove(session)
    }

    private func sweep(for loop: EventLoop) -> LoopSweep {
        sweeps.withLock { sweeps in
            if let sweep = sweeps[ObjectIdentifier(loop)] { return sweep }
            let sweep = LoopSweep(loop: loop, period: period, clock: clock)
            sweeps[ObjectIdentifier(loop)] = sweep
            return sweep
        }
    }
}

/// The sessions of one loop and the task that checks them; runs while there are any.
// Safe: `sessions` and `running` are read and written only on `loop`'s thread (asserted), by the
// sessions (actors on that loop) and by the sweep task, which runs there too.
private final class LoopSweep: @unchecked Sendable {
    let loop: EventLoop
    let period: Duration
    let clock: any UnixClock
    private var sessions: [ObjectIdentifier: PeerSession] = [:]
    private var running = false

    init(loop: EventLoop, period: Duration, clock: any UnixClock) {
        self.loop = loop
        self.period = period
        self.clock = clock
    }

    func add(_ session: PeerSession) {
        assert(loop.inLoop, "sessions join the sweep of their own loop")
        sessions[ObjectIdentifier(session)] = session
        guard !running else { return }
        running = true
        Task(executorPreference: loop) { await self.run() }
    }

    func remove(_ session: PeerSession) {
        assert(loop.inLoop, "sessions leave the sweep of their own loop")
        sessions[ObjectIdentifier(session)] = nil
    }

    private func run() async {
        // The emptiness check and `running = false` happen together on the loop's thread: a
        // session added during a sleep is seen by the next check.
        while !sessions.isEmpty {
            do {
                try await loop.sleep(for: period)
            } catch {
                break
            }
            // In slices, letting the loop handle its I/O in between: thousands of sessions
            // checked in one go would hold up every message arriving meanwhile.
            let all = Array(sessions.values)
            var start = 0
            while start < all.count {
                let end = min(all.count, start + Self.slice)
                Self.check(all[start..<end], now: Int64(clock.unixMilliseconds()))
                start = end
                if start < all.count { await Task.yield() }
            }
        }
        running = false
    }

    /// Sessions checked between two looks at the loop's I/O.
    private static let slice = 256

    private static func check(_ sessions: ArraySlice<PeerSession>, now: Int64) {
        // Every session here is an actor on this loop: each check is a plain call.
        for session in sessions {
            session.assumeIsolated { $0.checkTimeouts(now: now) }
        }
    }
}
