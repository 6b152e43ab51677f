import Synchronization
import Testing

@testable import RingwayRuntime

#if canImport(Glibc)
import Glibc
#endif

@Suite("Event loop as executor", .timeLimit(.minutes(1)))
struct ExecutorTests {
    @Test("an actor pinned to a loop runs its methods on the loop's thread")
    func actorRunsOnLoopThread() async throws {
        try await withGroup(loops: 2) { group in
            for loop in group.loops {
                let actor = LoopActor(loop: loop)
                #expect(await actor.isOnLoopThread())
                #expect(await actor.threadName() == "ringway-loop-\(loop.index)")
            }
        }
    }

    @Test("withTaskExecutorPreference runs child tasks on the loop")
    func taskExecutorPreference() async throws {
        try await withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let onLoop = await withTaskExecutorPreference(loop) {
                await withTaskGroup(of: Bool.self) { tasks in
                    for _ in 0..<10 { tasks.addTask { loop.inLoop } }
                    return await tasks.reduce(true) { $0 && $1 }
                }
            }
            #expect(onLoop)
            let viaAddTask = await withTaskGroup(of: Bool.self) { tasks in
                tasks.addTask(executorPreference: loop) { loop.inLoop }
                return await tasks.next()!
            }
            #expect(viaAddTask)
        }
    }

    @Test(
        "jobs enqueued from other threads wake a sleeping loop",
        arguments: [EventLoopConfiguration.Wakeup.eventfd, .automatic]
    )
    func crossThreadWakeups(mode: EventLoopConfiguration.Wakeup) async throws {
        var configuration = EventLoopConfiguration()
        configuration.wakeup = mode
        try await withGroup(loops: 1, configuration: configuration) { group in
            let actor = LoopActor(loop: group.loops[0])
            // Each call starts on the global executor and must wake the idle loop to complete.
            for expected in 1...2000 {
                let value = await Task.detached { await actor.increment() }.value
                #expect(value == expected)
            }
            // And from many threads at once.
            await withTaskGroup(of: Void.self) { tasks in
                for _ in 0..<8 {
                    tasks.addTask { for _ in 0..<250 { _ = await actor.increment() } }
                }
            }
            #expect(await actor.counter == 4000)
        }
    }

    @Test("EventLoop.execute runs closures on the loop thread from any thread")
    func executeRunsOnLoop() async throws {
        try await withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let ran = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                loop.execute { continuation.resume(returning: loop.inLoop) }
            }
            #expect(ran)
        }
    }

    @Test("io_uring setup failures are explained in one line")
    func setupFailureMessages() {
        let eperm = EventLoop.explainSetupFailure(EPERM)
        #expect(eperm.contains("EPERM"))
        #expect(eperm.contains("seccomp") || eperm.contains("io_uring_disabled"))
        #expect(!eperm.contains("\n"))
        #expect(EventLoop.explainSetupFailure(ENOSYS).contains("no io_uring"))
        #expect(RuntimeError.ioUringUnavailable(eperm).description.hasPrefix("io_uring unavailable: "))
    }

    @Test("errors name the operation and the errno")
    func errorDescriptions() {
        let error = IOError("recv", errno: ECONNRESET)
        #expect(error.description == "recv: ECONNRESET (Connection reset by peer)")
        #expect(IOError("connect 127.0.0.1:1", errno: ECONNREFUSED).errnoName == "ECONNREFUSED")
    }
}
