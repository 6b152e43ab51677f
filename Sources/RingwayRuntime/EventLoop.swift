import CRingwayURing
import DequeModule
import HeapModule
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One thread that owns one io_uring and runs Swift jobs and I/O completions.
///
/// An `EventLoop` is both a `SerialExecutor` and a `TaskExecutor`: an actor returns a loop's
/// executor from `unownedExecutor` to run its methods on the loop's thread, and
/// `withTaskExecutorPreference(loop)` runs child tasks there. The socket and timer operations of
/// this module must be called on the loop's thread (from such an actor or task); they suspend the
/// calling task and resume it from the completion.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: fields below `remote` are touched only on the loop thread (checked by
    // `assertInLoop`); `remote` is a `Locked` and the rest are immutable after `init` returns.

    /// The loop's index within its group.
    public let index: Int
    public let configuration: EventLoopConfiguration
    /// The wakeup mechanism in use (never `.automatic` once the loop runs).
    public private(set) var wakeup: EventLoopConfiguration.Wakeup

    private struct Remote {
        var jobs: Deque<UnownedJob> = []
        var closures: [@Sendable () -> Void] = []
        var sleeping = false
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        var joined = false
    }

    private let remote = Locked(Remote())
    private var thread = pthread_t()
    private var ringFD: Int32 = -1

    // Loop-thread state.
    var ring: OpaquePointer?
    var bufferRing: OpaquePointer?
    var ops = OpTable()
    private var localJobs: Deque<UnownedJob> = []
    /// Pending sleeps, earliest deadline first; entries whose waiter is gone (cancelled) are
    /// skipped when they reach the top.
    private var timerHeap = Heap<TimerEntry>()
    /// The waiter of each pending sleep, by timer id.
    private var timerWaiters: [UInt64: UnsafeContinuation<Int32, Never>] = [:]
    private var nextTimerID: UInt64 = 0
    private(set) var stopping = false
    private var eventFD: Int32 = -1
    private var eventFDBuffer: UnsafeMutableRawPointer?
    private var wakeArmed = false
    private var bufferRingDirty = false
    /// Sockets whose multishot receive ended with ENOBUFS; re-armed after buffers are committed.
    var rearmAfterCommit: [TCPSocket] = []
    /// Sockets written to since the last submit: each gets one send for all it was given.
    private var scheduledSends: [TCPSocket] = []
    private var spareScheduledSends: [TCPSocket] = []
    /// Descriptors owned by this loop, closed on shutdown if still open.
    private var registry: [ObjectIdentifier: any LoopRegistered] = [:]

    /// Total completions handled, for tests and benchmarks (loop thread only).
    public private(set) var completionsHandled = 0

    /// Starts the loop's thread and its ring. Throws ``RuntimeError/ioUringUnavailable(_:)`` when
    /// the ring cannot be set up.
    public init(index: Int = 0, configuration: EventLoopConfiguration = .init()) throws {
        self.index = index
        self.configuration = configuration
        self.wakeup = configuration.wakeup
        self.afterShutdown = DispatchQueue(label: "ringway-loop-\(index)-after-shutdown")
        let started = DispatchSemaphore(value: 0)
        let setupError = Locked<RuntimeError?>(nil)
        let box = Unmanaged.passRetained(ThreadStart { [self] in
            self.thread = pthread_self()
            rw_set_thread_name("ringway-loop-\(index)")
            do throws(RuntimeError) {
                try self.setUp()
            } catch {
                setupError.withLock { $0 = error }
                started.signal()
                return
            }
            started.signal()
            self.run()
        })
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw IOError("pthread_create", errno: rc)
        }
        started.wait()
        if let error = setupError.withLock({ $0 }) {
            pthread_join(tid, nil)
            throw error
        }
    }

    // MARK: Thread identity

    /// True when called on this loop's thread (or, once the loop has shut down, inside a job it
    /// forwarded to its after-shutdown queue).
    public var inLoop: Bool {
        if !exited.load(ordering: .relaxed) { return pthread_equal(pthread_self(), thread) != 0 }
        return AfterShutdown.current == ObjectIdentifier(self)
    }

    /// Set once the loop thread has finished; later jobs run on `afterShutdown`, serially.
    private let exited = Atomic<Bool>(false)
    private let afterShutdown: DispatchQueue

    /// Runs jobs enqueued after the loop stopped, one at a time, so that tasks still finish and
    /// actors stay exclusive. Every I/O operation there fails with `RuntimeError.loopShutdown`.
    private func forwardAfterShutdown(jobs: some Sequence<UnownedJob>, closures: [@Sendable () -> Void]) {
        let serial = asUnownedSerialExecutor()
        let task = asUnownedTaskExecutor()
        let id = ObjectIdentifier(self)
        for job in jobs {
            let sendableJob = job
            afterShutdown.async {
                AfterShutdown.run(as: id) { sendableJob.runSynchronously(isolatedTo: serial, taskExecutor: task) }
            }
        }
        for body in closures {
            afterShutdown.async { AfterShutdown.run(as: id, body) }
        }
    }

    @inline(__always)
    func assertInLoop(_ function: StaticString = #function) {
        precondition(inLoop, "\(function) must run on its event loop's thread (use an actor pinned to the loop or withTaskExecutorPreference)")
    }

    // MARK: Scheduling

    /// Runs `body` on the loop thread soon. Callable from any thread.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        let afterExit = remote.withLock { state -> Bool in
            if state.exited { return true }
            state.closures.append(body)
            wakeIfSleeping(&state)
            return false
        }
        if afterExit { forwardAfterShutdown(jobs: [], closures: [body]) }
    }

    func schedule(_ job: UnownedJob) {
        if !exited.load(ordering: .relaxed), pthread_equal(pthread_self(), thread) != 0 {
            localJobs.append(job)
            return
        }
        let afterExit = remote.withLock { state -> Bool in
            if state.exited { return true }
            state.jobs.append(job)
            wakeIfSleeping(&state)
            return false
        }
        if afterExit { forwardAfterShutdown(jobs: [job], closures: []) }
    }

    /// Wakes the loop if it sleeps in the kernel. Called with the lock held: the loop tears its
    /// ring and eventfd down only after marking itself exited under the same lock, so a wakeup
    /// never reaches a closed (or reused) descriptor.
    private func wakeIfSleeping(_ state: inout Remote) {
        guard state.sleeping else { return }
        state.sleeping = false
        signalWakeup()
    }

    private func signalWakeup() {
        switch wakeup {
        case .msgRing:
            _ = rw_msg_ring_post(ringFD, OpID.wakeUserData)
        case .eventfd, .automatic:
            _ = rw_eventfd_signal(eventFD)
        }
    }

    // MARK: Setup and the loop

    private func setUp() throws(RuntimeError) {
        var ringPointer: OpaquePointer?
        var flags: UInt32 = 0
        let rc = rw_ring_create(&ringPointer, configuration.submissionQueueEntries, configuration.completionQueueEntries, &flags)
        guard rc == 0, let ringPointer else {
            throw .ioUringUnavailable(Self.explainSetupFailure(-rc))
        }
        ring = ringPointer
        ringFD = rw_ring_fd(ringPointer)

        var br: OpaquePointer?
        let brc = rw_buf_ring_create(ringPointer, 0, UInt32(configuration.receiveBufferCount), UInt32(configuration.receiveBufferSize), &br)
        guard brc == 0 else {
            rw_ring_destroy(ringPointer)
            ring = nil
            throw .ioUringUnavailable("registering the provided-buffer ring failed with \(IOError.name(of: -brc)); Linux 5.19 or newer is required")
        }
        bufferRing = br

        if wakeup != .eventfd {
            // Probe: post one message to ourselves. Its completion is the ordinary wakeup tag.
            let probe = rw_msg_ring_post(ringFD, OpID.wakeUserData)
            if probe == 0 {
                wakeup = .msgRing
            } else if wakeup == .msgRing {
                tearDownRing()
                throw .ioUringUnavailable("IORING_OP_MSG_RING without a source ring is not supported (\(IOError.name(of: -probe))); it needs Linux 6.13")
            } else {
                wakeup = .eventfd
            }
        }
        if wakeup == .eventfd {
            let fd = rw_eventfd()
            guard fd >= 0 else {
                tearDownRing()
                throw .ioUringUnavailable("eventfd failed with \(IOError.name(of: -fd))")
            }
            eventFD = fd
            eventFDBuffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            armEventFDRead()
        }
    }

    static func explainSetupFailure(_ errno: Int32) -> String {
        let disabled = readSysctl("/proc/sys/kernel/io_uring_disabled")
        switch errno {
        case EPERM where disabled == 2:
            return "io_uring_setup failed with EPERM: the kernel disables io_uring (kernel.io_uring_disabled=2)"
        case EPERM where disabled == 1:
            return "io_uring_setup failed with EPERM: kernel.io_uring_disabled=1 allows io_uring only to the group in kernel.io_uring_group"
        case EPERM, EACCES:
            return "io_uring_setup failed with \(IOError.name(of: errno)): blocked by a seccomp profile (containers often block io_uring; allow io_uring_setup, io_uring_enter and io_uring_register)"
        case ENOSYS:
            return "io_uring_setup failed with ENOSYS: this kernel has no io_uring (Linux 6.1 or newer is required)"
        case ENOMEM:
            return "io_uring_setup failed with ENOMEM: not enough locked memory for the ring (raise RLIMIT_MEMLOCK or lower the queue sizes)"
        default:
            return "io_uring_setup failed with \(IOError.name(of: errno))"
        }
    }

    private static func readSysctl(_ path: String) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return Int(String(decoding: bytes[..<n], as: UTF8.self).filter(\.isNumber))
    }

    private func armEventFDRead() {
        guard let ring, let eventFDBuffer else { return }
        if rw_prep_read(ring, eventFD, eventFDBuffer, 8, OpID.wakeUserData) == 0 {
            wakeArmed = true
        }
    }

    private func tearDownRing() {
        if let bufferRing, let ring { rw_buf_ring_destroy(ring, bufferRing) }
        bufferRing = nil
        if let ring { rw_ring_destroy(ring) }
        ring = nil
        if eventFD >= 0 { Glibc.close(eventFD) }
        eventFD = -1
        eventFDBuffer?.deallocate()
        eventFDBuffer = nil
    }

    private static let jobBudget = 512

    private func run() {
        let cqes = UnsafeMutablePointer<rw_cqe>.allocate(capacity: 256)
        defer { cqes.deallocate() }
        let ring = self.ring!
        while true {
            runLocalJobs()
            takeRemoteWork()
            reapCompletions(ring, cqes)
            if stopping && ops.inFlight == 0 && !wakeArmed && localJobs.isEmpty && scheduledSends.isEmpty && rw_ring_pending(ring) == 0 {
                runLocalJobs()
                if localJobs.isEmpty && !hasRemoteWork() { break }
            }
            let untilNextTimer = fireDueTimers()
            startScheduledSends()
            if localJobs.isEmpty {
                let mayBlock = remote.withLock { state -> Bool in
                    guard state.jobs.isEmpty, state.closures.isEmpty else { return false }
                    state.sleeping = true
                    return true
                }
                if mayBlock {
                    if let untilNextTimer {
                        _ = rw_ring_submit_and_wait_timeout(ring, untilNextTimer)
                    } else {
                        _ = rw_ring_submit_and_wait(ring)
                    }
                    remote.withLock { $0.sleeping = false }
                } else {
                    _ = rw_ring_submit(ring)
                }
            } else {
                _ = rw_ring_submit(ring)
            }
        }
        finish()
    }

    func scheduleSend(_ socket: TCPSocket) {
        scheduledSends.append(socket)
    }

    private func startScheduledSends() {
        guard !scheduledSends.isEmpty else { return }
        swap(&scheduledSends, &spareScheduledSends)
        for socket in spareScheduledSends { socket.startScheduledSend() }
        spareScheduledSends.removeAll(keepingCapacity: true)
    }

    private func runLocalJobs() {
        var budget = Self.jobBudget
        let serial = asUnownedSerialExecutor()
        let task = asUnownedTaskExecutor()
        while budget > 0, let job = localJobs.popFirst() {
            job.runSynchronously(isolatedTo: serial, taskExecutor: task)
            budget -= 1
        }
    }

    private func hasRemoteWork() -> Bool {
        remote.withLock { !$0.jobs.isEmpty || !$0.closures.isEmpty }
    }

    private func takeRemoteWork() {
        var closures: [@Sendable () -> Void] = []
        remote.withLock { state in
            if !state.jobs.isEmpty {
                localJobs.append(contentsOf: state.jobs)
                state.jobs.removeAll(keepingCapacity: true)
            }
            if !state.closures.isEmpty { swap(&closures, &state.closures) }
        }
        for body in closures { body() }
    }

    private func reapCompletions(_ ring: OpaquePointer, _ cqes: UnsafeMutablePointer<rw_cqe>) {
        while true {
            // Copy a batch out of the completion queue first, then act on it: handlers resume
            // continuations, which only enqueue jobs; nothing runs while the CQ is being read.
            let n = Int(rw_ring_reap(ring, cqes, 256))
            for i in 0..<n { dispatch(cqes[i]) }
            completionsHandled += n
            if bufferRingDirty, let bufferRing {
                rw_buf_ring_commit(bufferRing)
                bufferRingDirty = false
            }
            if !rearmAfterCommit.isEmpty {
                let sockets = rearmAfterCommit
                rearmAfterCommit.removeAll(keepingCapacity: true)
                for socket in sockets { socket.rearmReceive() }
            }
            if n < 256 { return }
        }
    }

    private func dispatch(_ cqe: rw_cqe) {
        switch cqe.user_data {
        case OpID.wakeUserData:
            if wakeup == .eventfd {
                wakeArmed = false
                if !stopping { armEventFDRead() }
            }
            return
        case OpID.ignoredUserData:
            return
        default:
            break
        }
        let id = OpID(userData: cqe.user_data)
        guard ops.isLive(id) else {
            preconditionFailure("completion for an unknown operation \(cqe.user_data) (res \(cqe.res))")
        }
        let more = cqe.flags & UInt32(RW_CQE_F_MORE) != 0
        switch ops[id] {
        case .free, .reserved:
            preconditionFailure("completion for an operation that was never submitted")
        case .oneShot(let continuation, let storage):
            ops.release(id)
            storage?.deallocate()
            continuation.resume(returning: cqe.res)
        case .accept(let listener):
            if !more { ops.release(id) }
            listener.handleAccept(id: id, result: cqe.res, more: more)
        case .recv(let socket):
            if !more { ops.release(id) }
            socket.handleReceive(id: id, result: cqe.res, flags: cqe.flags, more: more)
        case .send(let socket):
            ops.release(id)
            socket.handleSend(result: cqe.res)
        }
    }

    /// Marks the provided-buffer ring as needing a commit at the end of this batch.
    func bufferRecycled() { bufferRingDirty = true }

    // MARK: Operations

    /// Suspends the calling task until `register`'s continuation is resumed (on this loop).
    ///
    /// The wait runs with this loop as the task's executor preference. Without it, a task that
    /// has no preference of its own (say, one that called into an actor pinned to this loop) is
    /// resumed through the global pool and hops back: two thread switches, ≈20 µs instead of
    /// <1 µs per operation (measured with `ringway-probe hops`). `onCancel` runs on whatever
    /// thread cancels the task.
    func suspend<T: Sendable>(
        isolation: isolated (any Actor)?,
        onCancel: @Sendable () -> Void,
        _ register: (UnsafeContinuation<T, Never>) -> Void
    ) async -> T {
        await withTaskExecutorPreference(self) {
            _ = isolation
            return await withTaskCancellationHandler {
                _ = isolation
                return await withUnsafeContinuation(register)
            } onCancel: {
                onCancel()
            }
        }
    }

    /// Submits a single-shot operation and suspends until its completion; returns the raw result
    /// (`>= 0`, or `-errno`). Task cancellation becomes an `IORING_OP_ASYNC_CANCEL`; the operation's
    /// own completion still resumes the caller (with `-ECANCELED` or its real result).
    /// `storage` is freed when the operation completes.
    func submitOneShot(storage: UnsafeMutableRawPointer? = nil, isolation: isolated (any Actor)? = #isolation, _ prepare: (OpaquePointer, UInt64) -> Int32) async throws -> Int32 {
        assertInLoop()
        guard !stopping, let ring else {
            storage?.deallocate()
            throw RuntimeError.loopShutdown
        }
        if Task.isCancelled {
            storage?.deallocate()
            throw CancellationError()
        }
        let id = ops.reserve()
        return await self.suspend(isolation: isolation, onCancel: { self.execute { self.cancel(id) } }) { (continuation: UnsafeContinuation<Int32, Never>) in
            // Entering the operation may have been a hop: the loop can have started stopping
            // (and swept the live ops) in between, so check again where we submit.
            self.assertInLoop()
            // Also a cancellation that came before this point: its handler found no
            // submitted operation to cancel.
            if self.stopping || Task.isCancelled {
                self.ops.release(id)
                storage?.deallocate()
                continuation.resume(returning: -ECANCELED)
                return
            }
            let rc = prepare(ring, id.userData)
            if rc < 0 {
                ops.release(id)
                storage?.deallocate()
                continuation.resume(returning: rc)
            } else {
                ops[id] = .oneShot(continuation, storage: storage)
            }
        }
    }

    /// Submits an operation whose completions go to `owner` (multishot accept/recv, sends).
    /// Returns nil if the submission queue is full.
    func submitOwned(_ owner: OpOwner, _ prepare: (OpaquePointer, UInt64) -> Int32) -> OpID? {
        guard let ring else { return nil }
        let id = ops.reserve()
        if prepare(ring, id.userData) < 0 {
            ops.release(id)
            return nil
        }
        ops[id] = owner
        return id
    }

    /// Requests cancellation of a live operation (no-op if it already completed).
    func cancel(_ id: OpID) {
        assertInLoop()
        guard let ring, ops.markCancelRequested(id) else { return }
        if rw_prep_cancel(ring, id.userData, OpID.ignoredUserData) < 0 {
            // The SQ is full even after a submit; the op will complete on its own eventually.
            return
        }
    }

    /// Maps a negative result to the error a caller should see.
    func failure(_ operation: String, _ result: Int32) -> any Error {
        if result == -ECANCELED {
            if stopping { return RuntimeError.loopShutdown }
            return CancellationError()
        }
        return IOError(operation, result: result)
    }

    // MARK: Registry

    func register(_ object: any LoopRegistered) {
        registry[ObjectIdentifier(object)] = object
    }

    func unregister(_ object: any LoopRegistered) {
        registry.removeValue(forKey: ObjectIdentifier(object))
    }

    // MARK: Timers

    /// Suspends the calling task for `duration`. Throws `CancellationError` if the task is
    /// cancelled first, ``RuntimeError/loopShutdown`` if the loop stops first.
    ///
    /// Sleeps are kept in a heap on the loop, and the loop's wait in the kernel ends at the
    /// earliest deadline: one io_uring wait serves every sleep. (An `IORING_OP_TIMEOUT` per
    /// sleep made wakeups late in proportion to the number outstanding: p90 20 ms with 10,000
    /// on one loop, `ringway-probe timers`.)
    public func sleep(for duration: Duration, isolation: isolated (any Actor)? = #isolation) async throws {
        let deadline = Self.monotonicNanoseconds() &+ Self.nanoseconds(duration)
        try await sleep(deadline: { deadline }, isolation: isolation)
    }

    /// Suspends the calling task until `deadline`. Throws like ``sleep(for:isolation:)``.
    ///
    /// Prefer this to `sleep(for: deadline - .now)` for work paced against a schedule: the time
    /// left is measured once the loop registers the sleep, so a wait for the loop's queue (a hop
    /// onto the loop) does not push every wakeup back by that wait.
    public func sleep(until deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation) async throws {
        try await sleep(deadline: {
            Self.monotonicNanoseconds() &+ Self.nanoseconds(deadline - ContinuousClock.now)
        }, isolation: isolation)
    }

    /// `deadline` gives the `CLOCK_MONOTONIC` deadline; it is called on the loop's thread.
    private func sleep(deadline: () -> UInt64, isolation: isolated (any Actor)?) async throws {
        assertInLoop()
        guard !stopping else { throw RuntimeError.loopShutdown }
        if Task.isCancelled { throw CancellationError() }
        nextTimerID &+= 1
        let id = nextTimerID
        let result: Int32 = await suspend(isolation: isolation, onCancel: { self.execute { self.cancelTimer(id) } }) { continuation in
            // Entering the wait may have been a hop: check stopping and cancellation here.
            self.assertInLoop()
            if self.stopping || Task.isCancelled {
                continuation.resume(returning: -ECANCELED)
                return
            }
            self.timerWaiters[id] = continuation
            self.timerHeap.insert(TimerEntry(deadline: deadline(), id: id))
        }
        if result == 0 { return }
        throw failure("timeout", result)
    }

    /// Whole nanoseconds in `duration`; zero for a negative duration.
    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    private func cancelTimer(_ id: UInt64) {
        assertInLoop()
        timerWaiters.removeValue(forKey: id)?.resume(returning: -ECANCELED)
        // Cancelled entries stay in the heap until they reach the top; rebuild it when they
        // outnumber the live ones, so memory follows the sleeps actually pending.
        if timerHeap.count > 1_024, timerHeap.count > 2 * timerWaiters.count {
            timerHeap = Heap(timerHeap.unordered.filter { timerWaiters[$0.id] != nil })
        }
    }

    /// Resumes every sleep whose deadline has passed; returns the nanoseconds until the next
    /// deadline, or nil when no sleep is pending.
    private func fireDueTimers() -> UInt64? {
        guard !timerHeap.isEmpty else { return nil }
        let now = Self.monotonicNanoseconds()
        while let first = timerHeap.min {
            guard let waiter = timerWaiters[first.id] else {
                _ = timerHeap.removeMin()
                continue
            }
            if first.deadline > now { return first.deadline - now }
            _ = timerHeap.removeMin()
            timerWaiters[first.id] = nil
            waiter.resume(returning: 0)
        }
        return nil
    }

    /// Resumes every pending sleep with ``RuntimeError/loopShutdown``.
    private func failTimers() {
        let waiters = timerWaiters
        timerWaiters.removeAll()
        timerHeap = Heap()
        for waiter in waiters.values { waiter.resume(returning: -ECANCELED) }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    // MARK: Shutdown

    /// Asks the loop to stop: every outstanding operation is cancelled and its waiter resumed
    /// with ``RuntimeError/loopShutdown``, descriptors still registered are closed, and the thread
    /// exits once no operation is in flight. Callable from any thread.
    public func stop() {
        execute { self.beginStop() }
    }

    private func beginStop() {
        guard !stopping else { return }
        stopping = true
        failTimers()
        for id in ops.liveIDs() { cancel(id) }
        if wakeArmed, let ring {
            _ = rw_prep_cancel(ring, OpID.wakeUserData, OpID.ignoredUserData)
        }
        for object in registry.values { object.loopIsStopping() }
    }

    private func finish() {
        for object in registry.values { object.closeForShutdown() }
        registry.removeAll()
        while !localJobs.isEmpty { runLocalJobs() }
        // From here on, jobs and closures go to the after-shutdown queue; hand over what raced in.
        // This happens before the ring and eventfd go away, so no wakeup can race their closing.
        let (jobs, closures, waiters) = remote.withLock { state in
            state.exited = true
            defer {
                state.jobs.removeAll()
                state.closures.removeAll()
                state.exitWaiters.removeAll()
            }
            return (state.jobs, state.closures, state.exitWaiters)
        }
        exited.store(true, ordering: .releasing)
        tearDownRing()
        forwardAfterShutdown(jobs: jobs, closures: closures)
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the loop's thread has finished its work (after ``stop()``).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = remote.withLock { state -> Bool in
                if state.exited { return true }
                state.exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        join()
    }

    private func join() {
        let mustJoin = remote.withLock { state -> Bool in
            defer { state.joined = true }
            return !state.joined
        }
        if mustJoin { pthread_join(thread, nil) }
    }

    /// Stops the loop and blocks the calling thread until its thread has exited. Must not be
    /// called on the loop's own thread.
    public func syncShutdown() {
        precondition(!inLoop, "syncShutdown() called on the loop's own thread")
        stop()
        join()
    }
}

/// Something that owns a descriptor on a loop and must be closed when the loop shuts down.
protocol LoopRegistered: AnyObject {
    /// The loop begins to stop: fail waiters that are not tied to an in-flight operation.
    func loopIsStopping()
    /// The loop's operations have all completed: close the descriptor now.
    func closeForShutdown()
}

/// Marks the thread that runs a stopped loop's forwarded jobs, so `inLoop` holds there.
enum AfterShutdown {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The loop whose forwarded job runs on this thread; only ever compared, never dereferenced.
    static var current: ObjectIdentifier? {
        pthread_getspecific(key).map { unsafeBitCast($0, to: ObjectIdentifier.self) }
    }

    static func run(as loop: ObjectIdentifier, _ body: () -> Void) {
        pthread_setspecific(key, unsafeBitCast(loop, to: UnsafeMutableRawPointer.self))
        body()
        pthread_setspecific(key, nil)
    }
}

private final class ThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// A pending sleep in a loop's timer heap.
struct TimerEntry: Comparable {
    /// `CLOCK_MONOTONIC` nanoseconds.
    let deadline: UInt64
    let id: UInt64

    static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        (lhs.deadline, lhs.id) < (rhs.deadline, rhs.id)
    }
}
