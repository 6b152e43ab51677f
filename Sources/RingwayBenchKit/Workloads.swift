import RingwayClient
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime
import Synchronization

/// The part of a run one process does: units `first ..< first + count` of the spec.
public struct WorkerShare: Codable, Sendable {
    /// The run.
    public var spec: BenchSpec
    /// The first unit (pair, session or subscriber) of this share.
    public var first: Int
    /// How many units.
    public var count: Int
    /// `fanout`: the broadcaster's public key (base64url), for subscribers that verify signatures.
    public var broadcasterKey: String?

    /// A share of `spec`.
    public init(spec: BenchSpec, first: Int, count: Int, broadcasterKey: String? = nil) {
        self.spec = spec
        self.first = first
        self.count = count
        self.broadcasterKey = broadcasterKey
    }
}

/// The message payload: the intended send time on the monotonic clock, a sequence number, the
/// run id and padding up to the requested size.
struct PayloadMaker: Sendable {
    let runID: String
    let padding: String

    init(runID: String, bytes: Int) {
        self.runID = runID
        let fixed = JSONWriter.encode(JSONValue.object(["t": .number(1e15), "seq": .number(1e9), "run": .string(runID), "pad": .string("")])).count
        padding = String(repeating: "x", count: max(0, bytes - fixed))
    }

    func make(t: Int64, seq: Int) -> JSONObject {
        ["t": .number(Double(t)), "seq": .number(Double(seq)), "run": .string(runID), "pad": .string(padding)]
    }

    /// The send time and sequence number of a payload of this run.
    func read(_ payload: JSONObject) -> (t: Int64, seq: Int)? {
        guard payload["run"]?.stringValue == runID, let t = payload["t"]?.safeIntegerValue,
              let seq = payload["seq"]?.safeIntegerValue else { return nil }
        return (t, Int(seq))
    }
}

/// Runs shares of the workloads in this process.
enum ShareRunner {
    /// Runs a `latency`, `throughput` or `connections` share to its end.
    static func run(
        _ share: WorkerShare, group: EventLoopGroup, counters: LiveCounters, stop: StopFlag
    ) async -> ShareResult {
        switch share.spec.workload {
        case .latency, .throughput:
            return await runPairs(share, group: group, counters: counters, stop: stop)
        case .connections:
            return await runConnections(share, group: group, counters: counters, stop: stop)
        case .fanout:
            let subscribers = await FanoutSubscribers.open(share, group: group, counters: counters)
            _ = await waitUntil(.now + seconds(share.spec.duration + share.spec.drain), stop: stop) { false }
            return await subscribers.finish()
        }
    }

    // MARK: Pairs

    /// Per connection: acknowledged messages it sent to its partner, and messages received from it.
    final class Flow: Sendable {
        let acked = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        /// `throughput`: messages this connection's sender may have on their way to its partner.
        let window: Window

        init(window: Int = 0) {
            self.window = Window(credits: window)
        }
    }

    /// Credits for messages in flight end to end: a sender takes one before a send, and the
    /// receiver gives it back when the message arrives (a failed send gives it back at once).
    final class Window: Sendable {
        private struct State {
            var credits: Int
            var waiters: [CheckedContinuation<Void, Never>] = []
            var closed = false
        }
        private let state: Locked<State>

        init(credits: Int) {
            state = Locked(State(credits: credits))
        }

        /// Waits for a credit; returns at once once the window is closed.
        func acquire() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.closed { return true }
                    if state.credits > 0 {
                        state.credits -= 1
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        func release() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.credits += 1
                    return nil
                }
                return state.waiters.removeFirst()
            }
            waiter?.resume()
        }

        /// The run is over: every waiter goes on (and finds the sending window closed).
        func close() {
            let waiters = state.withLock { state in
                state.closed = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// When a share's senders send: fixed once every one of them has started.
    final class SendSchedule: Sendable {
        private let arrived = Atomic<Int>(0)
        private let window = OneShot<SendingWindow>()

        struct SendingWindow: Sendable {
            let start: Int64
            let end: Int64
        }

        /// Senders that have started.
        var arrivals: Int { arrived.load(ordering: .relaxed) }

        /// Called by a sender as it starts; returns the window (`MonotonicClock` µs) once open.
        func arrive() async -> (start: Int64, end: Int64) {
            arrived.add(1, ordering: .relaxed)
            let window = await window.wait()
            return (window.start, window.end)
        }

        /// Opens the window 20 ms from now, for `duration` seconds.
        func open(duration: Double) -> (start: Int64, end: Int64) {
            let start = MonotonicClock.microseconds() + 20_000
            let end = start + Int64(duration * 1_000_000)
            window.fulfill(SendingWindow(start: start, end: end))
            return (start, end)
        }
    }

    /// Totals of a pairs share, for the drain condition.
    final class PairTotals: Sendable {
        let sent = Atomic<Int>(0)
        let settled = Atomic<Int>(0)
        let acked = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        let timeouts = Atomic<Int>(0)
        let drainOver = Atomic<Bool>(false)
        /// Sending loops that have ended (their last messages may still await an answer).
        let sendersDone = Atomic<Int>(0)
    }

    static func runPairs(_ share: WorkerShare, group: EventLoopGroup, counters: LiveCounters, stop: StopFlag) async -> ShareResult {
        let spec = share.spec
        let tally = ErrorTally(counters: counters)
        let histogram = Locked(makeLatencyHistogram())
        let connectTimes = Locked(makeLatencyHistogram())
        let payloads = PayloadMaker(runID: spec.runID, bytes: spec.payloadBytes)
        let indices = (2 * share.first)..<(2 * (share.first + share.count))
        let flows = indices.map { _ in Flow(window: spec.workload == .throughput ? spec.inFlight : 0) }
        let totals = PairTotals()
        var clients: [BenchClient?] = []
        for index in indices {
            do {
                clients.append(try BenchClient(
                    configuration: spec.clientConfiguration(entity: spec.entity(index)), entityID: spec.entity(index),
                    loop: group.loops[index % group.loops.count]))
            } catch {
                tally.count(error, while: "client setup")
                clients.append(nil)
            }
        }
        let all = clients

        // Receivers read from the start, so nothing waits in an inbox.
        var receivers: [Task<Void, Never>] = []
        for (offset, client) in all.enumerated() {
            guard let client else { continue }
            let flow = flows[offset]
            // What arrives here came from the partner: it frees a place in the partner's window.
            let partnerWindow = flows[offset ^ 1].window
            receivers.append(Task(executorPreference: client.client.loop) {
                for await message in client.client.messages {
                    guard let (t, _) = payloads.read(message.envelope.payload) else { continue }
                    let latency = MonotonicClock.microseconds() - t
                    _ = histogram.withLock { $0.record(UInt64(max(1, latency))) }
                    flow.received.add(1, ordering: .relaxed)
                    partnerWindow.release()
                    totals.received.add(1, ordering: .relaxed)
                    counters.received.add(1, ordering: .relaxed)
                }
            })
        }

        // Connect, at most `connectConcurrency` at once.
        let ready = Locked(Set<Int>())
        await forEach(0..<all.count, width: spec.connectConcurrency) { offset in
            guard let client = all[offset] else { return }
            let started = MonotonicClock.microseconds()
            if await client.establish(timeout: seconds(spec.connectTimeout), counters: counters, tally: tally) {
                let took = MonotonicClock.microseconds() - started
                _ = connectTimes.withLock { $0.record(UInt64(max(1, took))) }
                ready.withLock { _ = $0.insert(offset) }
            }
        }
        let readySet = ready.withLock { $0 }

        // Send from every connection whose pair is complete.
        let schedule = SendSchedule()
        var senders: [Task<Void, Never>] = []
        for offset in 0..<all.count {
            let partner = offset ^ 1
            guard let client = all[offset], let other = all[partner], readySet.contains(offset), readySet.contains(partner) else { continue }
            if spec.workload == .throughput, offset % 2 == 1 { continue }
            let flow = flows[offset]
            let sender = SenderContext(
                client: client.client, to: other.entityID, payloads: payloads, flow: flow, totals: totals, counters: counters,
                tally: tally, stop: stop, schedule: schedule)
            switch spec.workload {
            case .latency:
                let perConnection = Double(spec.rate) / Double(spec.connections)
                let interval = 1_000_000 / perConnection
                // Each connection gets its own place in the interval (golden-ratio spacing, even
                // for any count and across processes), so the aggregate rate is smooth: phases
                // shared by many connections made bursts whose queueing grew with the count.
                let unit = Double(2 * share.first + offset) * 0.618_033_988_749_894_8
                let phase = Int64(interval * (unit - unit.rounded(.down)))
                senders.append(Task(executorPreference: client.client.loop) { await sender.paced(every: interval, phase: phase) })
            default:
                for _ in 0..<spec.inFlight {
                    senders.append(Task(executorPreference: client.client.loop) { await sender.window() })
                }
            }
        }
        let started = senders
        let sending = Task { for sender in started { await sender.value } }
        // The sending window opens once every sender has started: messages meant for a time
        // before then would wait for the start-up of thousands of senders and count it as latency.
        let senderCount = senders.count
        _ = await waitUntil(.now + seconds(spec.connectTimeout), stop: stop) { schedule.arrivals == senderCount }
        let (sendStart, sendEnd) = schedule.open(duration: spec.duration)

        // The sending window (cut short by `stop`), then the drain: every send answered and every
        // ACKed message received. What is on its way when `stop` is set still gets the drain period.
        let remaining = max(0, sendEnd - MonotonicClock.microseconds())
        _ = await waitUntil(.now + .microseconds(remaining), stop: stop) { false }
        let sendSeconds = Double(min(MonotonicClock.microseconds(), sendEnd) - sendStart) / 1_000_000
        _ = await waitUntil(.now + seconds(spec.drain), stop: StopFlag()) {
            totals.sendersDone.load(ordering: .relaxed) == senderCount
                && totals.settled.load(ordering: .relaxed) == totals.sent.load(ordering: .relaxed)
                && totals.received.load(ordering: .relaxed) >= totals.acked.load(ordering: .relaxed)
        }
        totals.drainOver.store(true, ordering: .relaxed)
        for flow in flows { flow.window.close() }
        for client in all { client?.markStopping() }
        await withTaskGroup(of: Void.self) { tasks in
            for client in all { if let client { tasks.addTask { await client.stop() } } }
        }
        await sending.value
        for receiver in receivers { await receiver.value }

        var result = ShareResult()
        result.sent = totals.sent.load(ordering: .relaxed)
        result.acked = totals.acked.load(ordering: .relaxed)
        result.received = totals.received.load(ordering: .relaxed)
        result.timeouts = totals.timeouts.load(ordering: .relaxed)
        for offset in 0..<all.count {
            let missing = flows[offset].acked.load(ordering: .relaxed) - flows[offset ^ 1].received.load(ordering: .relaxed)
            result.lost += max(0, missing)
        }
        result.errors = tally.kinds
        result.errorSamples = tally.samples
        result.connectionsRequested = all.count
        result.connectionsEstablished = readySet.count
        result.connectionsDropped = result.errors["connection_dropped"] ?? 0
        result.latency = histogram.withLock { $0 }
        result.connectTime = connectTimes.withLock { $0 }
        result.sendSeconds = max(0, sendSeconds)
        return result
    }

    /// One sending connection of a pair.
    struct SenderContext: Sendable {
        let client: RingwayClient
        let to: EntityID
        let payloads: PayloadMaker
        let flow: Flow
        let totals: PairTotals
        let counters: LiveCounters
        let tally: ErrorTally
        let stop: StopFlag
        let schedule: SendSchedule

        /// `latency`: one message every `interval` µs, stamped with its intended send time (a late
        /// timer counts in the latency, so a slow run is not flattered).
        func paced(every interval: Double, phase: Int64) async {
            let (start, end) = await schedule.arrive()
            await withDiscardingTaskGroup { group in
                var seq = 0
                while !stop.isSet {
                    let intended = start + phase + Int64(interval * Double(seq))
                    if intended >= end { break }
                    if intended > MonotonicClock.microseconds() {
                        do {
                            try await client.loop.sleep(until: MonotonicClock.instant(atMicroseconds: intended))
                        } catch {
                            break
                        }
                    }
                    if stop.isSet { break }
                    let payload = payloads.make(t: intended, seq: seq)
                    seq += 1
                    group.addTask(executorPreference: client.loop) { await send(payload) }
                }
                totals.sendersDone.add(1, ordering: .relaxed)
            }
        }

        /// `throughput`: one message after another, each sent once the previous one's ACK came
        /// and a message of this sender reached the partner (the flow's window).
        func window() async {
            var seq = 0
            let (start, end) = await schedule.arrive()
            if start > MonotonicClock.microseconds() {
                try? await client.loop.sleep(until: MonotonicClock.instant(atMicroseconds: start))
            }
            while !stop.isSet {
                await flow.window.acquire()
                guard !stop.isSet, MonotonicClock.microseconds() < end else { break }
                seq += 1
                let (delivered, more) = await sendCounting(payloads.make(t: MonotonicClock.microseconds(), seq: seq))
                // A message that will not arrive gives its place back now.
                if !delivered { flow.window.release() }
                if !more { break }
            }
            totals.sendersDone.add(1, ordering: .relaxed)
        }

        /// Sends one message and counts the outcome; false when the client stopped.
        @discardableResult
        func send(_ payload: JSONObject) async -> Bool {
            await sendCounting(payload).more
        }

        /// Sends one message and counts the outcome: whether the server accepted it, and false
        /// for `more` when the client stopped.
        func sendCounting(_ payload: JSONObject) async -> (accepted: Bool, more: Bool) {
            totals.sent.add(1, ordering: .relaxed)
            counters.sent.add(1, ordering: .relaxed)
            defer { totals.settled.add(1, ordering: .relaxed) }
            do {
                _ = try await client.send(to: to, payload: payload)
                flow.acked.add(1, ordering: .relaxed)
                totals.acked.add(1, ordering: .relaxed)
                counters.acked.add(1, ordering: .relaxed)
                return (true, true)
            } catch {
                if case .stopped? = error as? ClientError, totals.drainOver.load(ordering: .relaxed) {
                    // Still unanswered when the drain period ended.
                    totals.timeouts.add(1, ordering: .relaxed)
                    counters.errors.add(1, ordering: .relaxed)
                    return (false, false)
                }
                tally.count(error, while: "send")
                if case .stopped? = error as? ClientError { return (false, false) }
                return (false, true)
            }
        }
    }

    // MARK: Connections

    static func runConnections(_ share: WorkerShare, group: EventLoopGroup, counters: LiveCounters, stop: StopFlag) async -> ShareResult {
        let spec = share.spec
        let tally = ErrorTally(counters: counters)
        let connectTimes = Locked(makeLatencyHistogram())
        let indices = share.first..<(share.first + share.count)
        var clients: [BenchClient?] = []
        for index in indices {
            var configuration = spec.clientConfiguration(entity: spec.entity(index))
            // Nothing is received: skip the directory fetch that signature checking needs.
            configuration.verifySignatures = false
            do {
                clients.append(try BenchClient(configuration: configuration, entityID: spec.entity(index), loop: group.loops[index % group.loops.count]))
            } catch {
                tally.count(error, while: "client setup")
                clients.append(nil)
            }
        }
        let all = clients
        let established = Atomic<Int>(0)
        await forEach(0..<all.count, width: spec.connectConcurrency) { offset in
            guard let client = all[offset], !stop.isSet else { return }
            let started = MonotonicClock.microseconds()
            if await client.establish(timeout: seconds(spec.connectTimeout), counters: counters, tally: tally) {
                let took = MonotonicClock.microseconds() - started
                _ = connectTimes.withLock { $0.record(UInt64(max(1, took))) }
                established.add(1, ordering: .relaxed)
            }
        }
        // Hold: the clients send their heartbeats; a drop is counted by the watch.
        _ = await waitUntil(.now + seconds(spec.hold), stop: stop, tick: .milliseconds(100)) { false }
        for client in all { client?.markStopping() }
        await withTaskGroup(of: Void.self) { tasks in
            for client in all { if let client { tasks.addTask { await client.stop() } } }
        }
        var result = ShareResult()
        result.errors = tally.kinds
        result.errorSamples = tally.samples
        result.connectionsRequested = all.count
        result.connectionsEstablished = established.load(ordering: .relaxed)
        result.connectionsDropped = result.errors["connection_dropped"] ?? 0
        result.connectTime = connectTimes.withLock { $0 }
        return result
    }
}

/// `fanout`: the subscribers of one share and what they received.
final class FanoutSubscribers: Sendable {
    private struct State {
        var deliveries: [Int: Int] = [:]
        var slowest: [Int: UInt64] = [:]
        var histogram = makeLatencyHistogram()
        var connectTime = makeLatencyHistogram()
    }

    private let spec: BenchSpec
    private let subscriptions: [EventSubscription]
    private let readers: [Task<Void, Never>]
    private let state: Locked<State>
    private let tally: ErrorTally
    private let requested: Int
    private let flags: Flags

    /// Subscribers that have every broadcast; whether the subscriptions are being closed.
    final class Flags: Sendable {
        let complete = Atomic<Int>(0)
        let closing = Atomic<Bool>(false)
    }

    private init(
        spec: BenchSpec, subscriptions: [EventSubscription], readers: [Task<Void, Never>], state: Locked<State>, tally: ErrorTally,
        requested: Int, flags: Flags
    ) {
        self.spec = spec
        self.subscriptions = subscriptions
        self.readers = readers
        self.state = state
        self.tally = tally
        self.requested = requested
        self.flags = flags
    }

    /// Subscribers that have every broadcast.
    var completeCount: Int { flags.complete.load(ordering: .relaxed) }

    /// Subscribers that are reading.
    var subscribedCount: Int { subscriptions.count }

    /// Opens the share's subscriptions (at most `connectConcurrency` at once) and starts reading;
    /// returns when each is registered by the server or has failed.
    static func open(_ share: WorkerShare, group: EventLoopGroup, counters: LiveCounters) async -> FanoutSubscribers {
        let spec = share.spec
        let tally = ErrorTally(counters: counters)
        let state = Locked(State())
        let opened = Locked([Int: EventSubscription]())
        let indices = share.first..<(share.first + share.count)
        await forEach(indices, width: spec.connectConcurrency) { index in
            let started = MonotonicClock.microseconds()
            do {
                let subscription = try await EventSubscription.open(
                    configuration: spec.clientConfiguration(entity: spec.entity(index)), loop: group.loops[index % group.loops.count])
                let took = MonotonicClock.microseconds() - started
                state.withLock { _ = $0.connectTime.record(UInt64(max(1, took))) }
                opened.withLock { $0[index] = subscription }
                counters.connections.add(1, ordering: .relaxed)
            } catch {
                tally.count(error, while: "subscribe")
            }
        }
        let subscriptions = opened.withLock { $0 }.sorted { $0.key < $1.key }.map(\.value)
        let key = share.broadcasterKey.flatMap { try? Ed25519PublicKey(base64URL: $0) }
        let verify = spec.verifySignatures ? key : nil
        let payloads = PayloadMaker(runID: spec.runID, bytes: 0)
        let broadcaster = spec.broadcaster
        let expected = spec.broadcasts
        let flags = Flags()
        let readers = subscriptions.map { subscription in
            Task(executorPreference: subscription.loop) {
                var seen = Set<Int>()
                while let bytes = await subscription.next() {
                    guard let envelope = try? EnvelopeDecoder().decode(bytes), envelope.type == .message,
                          envelope.fromEntity == broadcaster, let (t, seq) = payloads.read(envelope.payload) else { continue }
                    let latency = UInt64(max(1, MonotonicClock.microseconds() - t))
                    if let verify, (try? envelope.verifySignature(publicKey: verify)) == nil {
                        tally.count("bad_signature", "broadcast \(seq) does not verify")
                        continue
                    }
                    guard seen.insert(seq).inserted else {
                        tally.count("duplicate", "broadcast \(seq) arrived twice")
                        continue
                    }
                    counters.received.add(1, ordering: .relaxed)
                    state.withLock { state in
                        _ = state.histogram.record(latency)
                        state.deliveries[seq, default: 0] += 1
                        state.slowest[seq] = max(state.slowest[seq] ?? 0, latency)
                    }
                    if seen.count == expected {
                        flags.complete.add(1, ordering: .relaxed)
                    }
                }
                counters.connections.subtract(1, ordering: .relaxed)
                if !flags.closing.load(ordering: .relaxed) {
                    let reason = await subscription.closeReason.map { "\($0)" } ?? "ended"
                    tally.count("subscription_dropped", reason)
                }
            }
        }
        return FanoutSubscribers(
            spec: spec, subscriptions: subscriptions, readers: readers, state: state, tally: tally, requested: indices.count, flags: flags)
    }

    /// Closes every subscription and reports what they received.
    func finish() async -> ShareResult {
        flags.closing.store(true, ordering: .relaxed)
        await withTaskGroup(of: Void.self) { group in
            for subscription in subscriptions {
                group.addTask(executorPreference: subscription.loop) { await subscription.close() }
            }
        }
        for reader in readers { await reader.value }
        let state = self.state.withLock { $0 }
        var result = ShareResult()
        result.received = state.deliveries.values.reduce(0, +)
        result.errors = tally.kinds
        result.errorSamples = tally.samples
        result.connectionsRequested = requested
        result.connectionsEstablished = subscriptions.count
        result.subscribersEstablished = subscriptions.count
        result.connectionsDropped = result.errors["subscription_dropped"] ?? 0
        result.latency = state.histogram
        result.connectTime = state.connectTime
        result.broadcastDeliveries = state.deliveries
        result.broadcastSlowest = state.slowest
        return result
    }
}

/// `fanout`: the client that sends the broadcasts.
enum Broadcaster {
    /// Connects as the spec's broadcaster with `key`, sends the broadcasts spread over the
    /// duration and returns the counts of the sending side (sent, acknowledged, errors).
    static func run(spec: BenchSpec, key: Ed25519PrivateKey, loop: EventLoop, counters: LiveCounters, stop: StopFlag) async -> ShareResult {
        let tally = ErrorTally(counters: counters)
        var result = ShareResult()
        let payloads = PayloadMaker(runID: spec.runID, bytes: spec.payloadBytes)
        var configuration = spec.clientConfiguration(entity: spec.broadcaster, key: key)
        configuration.verifySignatures = false
        guard let client = try? BenchClient(configuration: configuration, entityID: spec.broadcaster, loop: loop) else {
            result.errors = ["client": 1]
            return result
        }
        result.connectionsRequested = 1
        guard await client.establish(timeout: seconds(spec.connectTimeout), counters: counters, tally: tally) else {
            await client.stop()
            result.errors = tally.kinds
            result.errorSamples = tally.samples
            return result
        }
        result.connectionsEstablished = 1
        let acked = Locked([Int]())
        let totals = ShareRunner.PairTotals()
        let interval = spec.duration * 1_000_000 / Double(spec.broadcasts)
        let start = MonotonicClock.microseconds() + 20_000
        let sender = client.client
        let sending = Task(executorPreference: loop) {
            await withDiscardingTaskGroup { group in
                for seq in 0..<spec.broadcasts {
                    if stop.isSet { break }
                    let intended = start + Int64(interval * Double(seq))
                    if intended > MonotonicClock.microseconds() {
                        do {
                            try await loop.sleep(until: MonotonicClock.instant(atMicroseconds: intended))
                        } catch {
                            break
                        }
                    }
                    if stop.isSet { break }
                    counters.sent.add(1, ordering: .relaxed)
                    totals.sent.add(1, ordering: .relaxed)
                    let payload = payloads.make(t: intended, seq: seq)
                    group.addTask(executorPreference: loop) {
                        defer { totals.settled.add(1, ordering: .relaxed) }
                        do {
                            _ = try await sender.send(to: .broadcast, payload: payload)
                            counters.acked.add(1, ordering: .relaxed)
                            acked.withLock { $0.append(seq) }
                        } catch {
                            if case .stopped? = error as? ClientError, totals.drainOver.load(ordering: .relaxed) {
                                totals.timeouts.add(1, ordering: .relaxed)
                                counters.errors.add(1, ordering: .relaxed)
                            } else {
                                tally.count(error, while: "broadcast")
                            }
                        }
                    }
                }
                totals.sendersDone.add(1, ordering: .relaxed)
            }
        }
        let deadline = ContinuousClock.now + seconds(spec.duration + 0.02 + spec.drain)
        // Bounded by the duration and the drain; a stop ends the sending, not the wait for answers.
        _ = await waitUntil(deadline, stop: StopFlag()) {
            totals.sendersDone.load(ordering: .relaxed) == 1 && totals.settled.load(ordering: .relaxed) == totals.sent.load(ordering: .relaxed)
        }
        result.sendSeconds = Double(MonotonicClock.microseconds() - start) / 1_000_000
        totals.drainOver.store(true, ordering: .relaxed)
        await client.stop()
        await sending.value
        result.sent = totals.sent.load(ordering: .relaxed)
        result.timeouts = totals.timeouts.load(ordering: .relaxed)
        result.broadcastsAcked = acked.withLock { $0 }.sorted()
        result.acked = result.broadcastsAcked.count
        result.errors = tally.kinds
        result.errorSamples = tally.samples
        return result
    }
}
