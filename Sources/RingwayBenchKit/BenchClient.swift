import RingwayClient
import RingwayEnvelope
import RingwayRuntime
import Synchronization

/// A ``RingwayClient`` of a bench run and the watch over its link: when it became ready, and
/// every drop afterwards.
final class BenchClient: Sendable {
    let client: RingwayClient
    let entityID: EntityID
    private let ready = OneShot<Bool>()
    private let stopping = StopFlag()
    private let monitor: Locked<Task<Void, Never>?> = Locked(nil)
    private let lastState = Locked("not started")

    init(configuration: RingwayClientConfiguration, entityID: EntityID, loop: EventLoop) throws {
        client = try RingwayClient(configuration: configuration, loop: loop)
        self.entityID = entityID
    }

    /// Starts the client and waits until its link is ready, at most `timeout`; answers whether
    /// it became ready. Connection counts and drops go to `counters` and `tally`.
    func establish(timeout: Duration, counters: LiveCounters, tally: ErrorTally) async -> Bool {
        let states = client.states
        let ready = self.ready
        let stopping = self.stopping
        let lastState = self.lastState
        let loop = client.loop
        let watch = Task(executorPreference: loop) {
            var isReady = false
            var everReady = false
            for await state in states {
                lastState.withLock { $0 = state.description }
                switch state {
                case .ready:
                    if !isReady { counters.connections.add(1, ordering: .relaxed) }
                    isReady = true
                    everReady = true
                    ready.fulfill(true)
                case .connecting, .reconnecting:
                    if isReady {
                        counters.connections.subtract(1, ordering: .relaxed)
                        isReady = false
                        if !stopping.isSet { tally.count("connection_dropped", "a ready link dropped and reconnects") }
                    }
                case .closed(let reason):
                    if isReady { counters.connections.subtract(1, ordering: .relaxed) }
                    isReady = false
                    if !stopping.isSet {
                        if everReady {
                            tally.count("connection_dropped", "the client stopped: \(reason ?? "closed")")
                        } else {
                            ready.fulfill(false)
                            tally.count("connect_refused", reason ?? "closed before it was ready")
                        }
                    }
                }
            }
        }
        monitor.withLock { $0 = watch }
        await client.start()
        let timer = Task(executorPreference: loop) {
            do {
                try await loop.sleep(for: timeout)
            } catch {
                return
            }
            ready.fulfill(false)
        }
        let ok = await ready.wait()
        timer.cancel()
        if !ok, !stopping.isSet, lastState.withLock({ !$0.hasPrefix("closed") }) {
            tally.count("connect_timeout", "not ready within \(timeout) (last state: \(lastState.withLock { $0 }))")
        }
        return ok
    }

    /// Whether the link dropped counts as an error from now on.
    func markStopping() {
        stopping.set()
    }

    /// Stops the client and waits for its watch to end.
    func stop() async {
        markStopping()
        await client.stop()
        let watch = monitor.withLock { $0 }
        await watch?.value
    }
}

/// Runs `body` for each of `indices` with at most `width` running at once.
func forEach(
    _ indices: Range<Int>, width: Int, _ body: @escaping @Sendable (Int) async -> Void
) async {
    await withTaskGroup(of: Void.self) { group in
        var next = indices.lowerBound
        while next < indices.upperBound, next - indices.lowerBound < max(1, width) {
            let index = next
            group.addTask { await body(index) }
            next += 1
        }
        while await group.next() != nil {
            if next < indices.upperBound {
                let index = next
                group.addTask { await body(index) }
                next += 1
            }
        }
    }
}
