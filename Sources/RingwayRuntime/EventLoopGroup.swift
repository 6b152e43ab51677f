import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of event loops, one thread and one io_uring each.
public final class EventLoopGroup: Sendable {
    /// The loops, in index order.
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// The default loop count: `RINGWAY_LOOPS` if set to a positive integer, else one per online CPU.
    public static var defaultLoopCount: Int {
        if let text = getenv("RINGWAY_LOOPS").map({ String(cString: $0) }), let n = Int(text), n > 0 {
            return n
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Starts `loopCount` loops. If any cannot start, the ones already started are stopped and the
    /// error (e.g. ``RuntimeError/ioUringUnavailable(_:)``) is thrown.
    public init(loopCount: Int = EventLoopGroup.defaultLoopCount, configuration: EventLoopConfiguration = .init()) throws {
        precondition(loopCount > 0, "an event loop group needs at least one loop")
        // A peer closing mid-write must surface as EPIPE, never kill the process.
        signal(SIGPIPE, SIG_IGN)
        var loops: [EventLoop] = []
        do {
            for index in 0..<loopCount {
                loops.append(try EventLoop(index: index, configuration: configuration))
            }
        } catch {
            for loop in loops { loop.syncShutdown() }
            throw error
        }
        self.loops = loops
    }

    /// The next loop, round robin.
    public func next() -> EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop (cancelling outstanding operations, resuming every waiter, closing
    /// descriptors) and waits for their threads to exit.
    public func shutdown() async {
        for loop in loops { loop.stop() }
        for loop in loops { await loop.waitUntilStopped() }
    }

    /// Blocking form of ``shutdown()``; must not be called on one of the group's loops.
    public func syncShutdown() {
        for loop in loops { loop.stop() }
        for loop in loops { loop.syncShutdown() }
    }
}
