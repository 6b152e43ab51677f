import Foundation
import RingwayCrypto
import RingwayRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a workload to its end, in this process or spread over worker processes, and reports.
public struct BenchRunner: Sendable {
    /// Sockets one process opens at most, whatever its open-file limit.
    public static let maxSocketsPerProcess = 8_000

    /// The run.
    public var spec: BenchSpec
    /// Processes to spread the connections over; 0 picks the fewest that fit the socket budget.
    public var processes = 0
    /// The executable started as `<executable> worker --share JSON` when more than one process runs.
    public var workerExecutable: String?
    /// Whether the tool started the daemon (shown in the report).
    public var spawnedDaemon = false
    /// Called about once a second with the counts so far and the seconds since the start.
    public var progress: (@Sendable (ProgressSnapshot, Double) -> Void)?
    /// The daemon's resident memory now, when it can be known; sampled every second.
    public var memory: (@Sendable () async -> Int?)?
    /// Set to end the run early (what was measured is still reported).
    public var stop = StopFlag()

    /// A runner of `spec`.
    public init(spec: BenchSpec) {
        self.spec = spec
    }

    /// Sockets one process may open here: the open-file limit less a margin, at most
    /// ``maxSocketsPerProcess``.
    public static func socketBudget() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_000 }
        let soft = limit.rlim_cur == rlim_t.max ? UInt64(maxSocketsPerProcess * 2) : UInt64(limit.rlim_cur)
        let usable = soft > 512 ? Int(soft - 256) * 3 / 4 : Int(soft) / 2
        return max(16, min(maxSocketsPerProcess, usable))
    }

    /// The processes `spec` needs so that none exceeds `budget` sockets.
    public static func processesNeeded(for spec: BenchSpec, budget: Int = socketBudget()) -> Int {
        let sockets = spec.units * spec.socketsPerUnit
        return max(1, min(spec.units, (sockets + budget - 1) / budget))
    }

    /// Runs the workload and builds the report.
    public func run() async throws(BenchError) -> BenchReport {
        try spec.validate()
        let count = processes > 0 ? min(processes, max(1, spec.units)) : Self.processesNeeded(for: spec)
        let started = ContinuousClock.now
        let peakMemory = PeakGauge()
        let sampler: Task<Void, Never>? = memory.map { memory in
            Task {
                while !Task.isCancelled {
                    if let bytes = await memory() { peakMemory.value.max(bytes, ordering: .relaxed) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        let result: ShareResult
        if count == 1 {
            result = try await runHere(started: started)
        } else {
            guard let workerExecutable else { throw .setup("more than one process needs the ringway-bench executable") }
            result = try await runWorkers(count: count, executable: workerExecutable, started: started)
        }
        sampler?.cancel()
        if let memory, let bytes = await memory() { peakMemory.value.max(bytes, ordering: .relaxed) }
        let peak = peakMemory.value.load(ordering: .relaxed)
        let elapsed = ContinuousClock.now - started
        return BenchReport(
            spec: spec, result: result, spawnedDaemon: spawnedDaemon, processes: count,
            elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            daemonRSSBytes: peak >= 0 ? peak : nil)
    }

    /// Reports progress every second until cancelled.
    private func ticker(started: ContinuousClock.Instant, _ snapshot: @escaping @Sendable () -> ProgressSnapshot) -> Task<Void, Never>? {
        guard let progress else { return nil }
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { return }
                let elapsed = ContinuousClock.now - started
                progress(snapshot(), Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
        }
    }

    // MARK: In this process

    private func runHere(started: ContinuousClock.Instant) async throws(BenchError) -> ShareResult {
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(loopCount: spec.loops)
        } catch {
            throw .setup("cannot start the event loops: \(error)")
        }
        let counters = LiveCounters()
        let tick = ticker(started: started) { counters.snapshot }
        let share = WorkerShare(spec: spec, first: 0, count: spec.units)
        var result: ShareResult
        if spec.workload == .fanout {
            let key = Ed25519PrivateKey()
            var keyed = share
            keyed.broadcasterKey = key.publicKey.base64URL
            let subscribers = await FanoutSubscribers.open(keyed, group: group, counters: counters)
            let sending = await Broadcaster.run(spec: spec, key: key, loop: group.loops[0], counters: counters, stop: stop)
            let expected = sending.broadcastsAcked.count
            _ = await waitUntil(.now + seconds(spec.drain), stop: StopFlag()) {
                expected == spec.broadcasts && subscribers.completeCount == subscribers.subscribedCount
            }
            result = await subscribers.finish()
            result.merge(sending)
        } else {
            result = await ShareRunner.run(share, group: group, counters: counters, stop: stop)
        }
        tick?.cancel()
        await group.shutdown()
        return result
    }

    // MARK: Worker processes

    private final class WorkerState: Sendable {
        let child: ChildProcess
        let share: WorkerShare
        let progress = Locked(ProgressSnapshot())
        let ready = OneShot<Bool>()
        let result = OneShot<ShareResult?>()

        init(child: ChildProcess, share: WorkerShare) {
            self.child = child
            self.share = share
        }
    }

    private func runWorkers(count: Int, executable: String, started: ContinuousClock.Instant) async throws(BenchError) -> ShareResult {
        let key = Ed25519PrivateKey()
        var workers: [WorkerState] = []
        let units = spec.units
        var first = 0
        for index in 0..<count {
            let size = units / count + (index < units % count ? 1 : 0)
            let share = WorkerShare(spec: spec, first: first, count: size, broadcasterKey: key.publicKey.base64URL)
            first += size
            let text: String
            do {
                text = String(decoding: try JSONEncoder().encode(share), as: UTF8.self)
            } catch {
                throw .setup("cannot encode a worker's share: \(error)")
            }
            let child: ChildProcess
            do {
                child = try ChildProcess.spawn(executable: executable, arguments: ["worker", "--share", text])
            } catch {
                for worker in workers { worker.child.closeInput() }
                throw error
            }
            workers.append(WorkerState(child: child, share: share))
        }
        let readers = workers.map { worker in
            Task {
                let decoder = JSONDecoder()
                for await line in worker.child.lines {
                    guard let message = try? decoder.decode(WorkerLine.self, from: Data(line.utf8)) else { continue }
                    if let progress = message.progress { worker.progress.withLock { $0 = progress } }
                    if message.ready == true { worker.ready.fulfill(true) }
                    if let result = message.result { worker.result.fulfill(result) }
                }
                worker.ready.fulfill(false)
                worker.result.fulfill(nil)
            }
        }
        let all = workers
        let tick = ticker(started: started) { all.reduce(ProgressSnapshot()) { $0.adding($1.progress.withLock { $0 }) } }

        var sending: ShareResult?
        if spec.workload == .fanout {
            for worker in workers { _ = await worker.ready.wait() }
            let group: EventLoopGroup
            do {
                group = try EventLoopGroup(loopCount: 1)
            } catch {
                throw .setup("cannot start the event loops: \(error)")
            }
            let counters = LiveCounters()
            let broadcast = await Broadcaster.run(spec: spec, key: key, loop: group.loops[0], counters: counters, stop: stop)
            await group.shutdown()
            sending = broadcast
            let expected = broadcast.broadcastsAcked.count
            _ = await waitUntil(.now + seconds(spec.drain), stop: StopFlag()) {
                let totals = all.map { $0.progress.withLock { $0 } }
                return expected == spec.broadcasts && totals.allSatisfy { $0.complete == $0.connections }
            }
            // End of input tells the workers to report.
            for worker in workers { worker.child.closeInput() }
        } else {
            let stop = self.stop
            // An early stop is passed on the same way.
            let relay = Task {
                _ = await waitUntil(.now + .seconds(86_400 * 365), stop: stop, tick: .milliseconds(100)) { false }
                for worker in all { worker.child.closeInput() }
            }
            for worker in workers { _ = await worker.result.wait() }
            relay.cancel()
        }

        var merged = ShareResult()
        for worker in workers {
            if let result = await worker.result.wait() {
                merged.merge(result)
            } else {
                let status = await worker.child.wait()
                var failed = ShareResult()
                failed.errors = ["worker_failed": 1]
                failed.errorSamples = ["worker_failed: a worker process (units \(worker.share.first)..<\(worker.share.first + worker.share.count)) exited with status \(status) without a result"]
                failed.connectionsRequested = worker.share.count * spec.socketsPerUnit
                merged.merge(failed)
            }
            worker.child.closeInput()
            _ = await worker.child.wait()
        }
        for reader in readers { await reader.value }
        tick?.cancel()
        if let sending { merged.merge(sending) }
        return merged
    }
}

/// The largest value seen (-1 before any).
final class PeakGauge: Sendable {
    let value = Atomic<Int>(-1)
}

/// One line a worker writes on its standard output.
struct WorkerLine: Codable, Sendable {
    var progress: ProgressSnapshot?
    var ready: Bool?
    var result: ShareResult?
}

/// The `worker` side: runs one share and writes progress, readiness and the result as JSON lines.
public enum BenchWorker {
    /// Runs the share described by `shareJSON`; answers the exit status.
    public static func run(shareJSON: String) async -> Int32 {
        let share: WorkerShare
        do {
            share = try JSONDecoder().decode(WorkerShare.self, from: Data(shareJSON.utf8))
            try share.spec.validate()
        } catch {
            FileHandle.standardError.write(Data("ringway-bench worker: bad share: \(error)\n".utf8))
            return 2
        }
        let stop = StopFlag()
        // End of standard input: the parent is done (or gone).
        let watcher = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(0, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
            }
            stop.set()
        }
        watcher.start()
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(loopCount: share.spec.loops)
        } catch {
            FileHandle.standardError.write(Data("ringway-bench worker: \(error)\n".utf8))
            return 1
        }
        let counters = LiveCounters()
        let complete = Atomic<Int>(0)
        let encoder = JSONEncoder()
        func emit(_ line: WorkerLine) {
            guard let data = try? encoder.encode(line) else { return }
            OutputLines.write(String(decoding: data, as: UTF8.self))
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                var snapshot = counters.snapshot
                snapshot.complete = complete.load(ordering: .relaxed)
                emit(WorkerLine(progress: snapshot))
            }
        }
        let result: ShareResult
        if share.spec.workload == .fanout {
            let subscribers = await FanoutSubscribers.open(share, group: group, counters: counters)
            var snapshot = counters.snapshot
            snapshot.complete = 0
            emit(WorkerLine(progress: snapshot, ready: true))
            // Until the parent says the broadcasts are over (with a bound, should it never say).
            let bound = share.spec.connectTimeout * 2 + share.spec.duration + share.spec.drain + 60
            _ = await waitUntil(.now + seconds(bound), stop: stop) {
                complete.store(subscribers.completeCount, ordering: .relaxed)
                return false
            }
            result = await subscribers.finish()
        } else {
            result = await ShareRunner.run(share, group: group, counters: counters, stop: stop)
        }
        ticker.cancel()
        emit(WorkerLine(result: result))
        await group.shutdown()
        return 0
    }
}
