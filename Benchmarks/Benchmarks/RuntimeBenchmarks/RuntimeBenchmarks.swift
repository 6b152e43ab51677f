import Benchmark
import RingwayRuntime

/// An actor pinned to a loop; its methods run on the loop's thread.
private actor Pinned {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var count = 0
    private var echoSocket: TCPSocket?
    private var listener: TCPListener?

    init(loop: EventLoop) { self.loop = loop }

    func touch() -> Int {
        count &+= 1
        return count
    }

    /// `times` calls from this actor to `other`, which lives on the same loop.
    func call(_ other: Pinned, times: Int) async -> Int {
        var last = 0
        for _ in 0..<times { last = await other.touch() }
        return last
    }

    func listen() throws -> SocketAddress {
        let listener = try TCPListener.bind(SocketAddress(host: "127.0.0.1", port: 0), on: loop)
        self.listener = listener
        return listener.localAddress
    }

    /// Echoes one connection until it closes.
    func serveOne() async throws {
        let connection = try await listener!.accept()
        var buffer: [UInt8] = []
        while try await connection.read(into: &buffer) > 0 {
            try await connection.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        await connection.close()
        await listener?.close()
    }

    func connect(to address: SocketAddress) async throws {
        echoSocket = try await TCPSocket.connect(to: address, on: loop)
    }

    /// `times` 64-byte round trips through the echo server.
    func roundTrips(_ times: Int, message: [UInt8], reply: inout [UInt8]) async throws {
        let socket = echoSocket!
        for _ in 0..<times {
            try await socket.write(message)
            reply.removeAll(keepingCapacity: true)
            try await socket.readExactly(message.count, into: &reply)
        }
    }

    func closeClient() async {
        await echoSocket?.close()
        echoSocket = nil
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .throughput]

    // The loop sleeps in the kernel between calls, so each call measures a cross-thread wakeup
    // (to the loop) and back (to the caller's pool thread).
    for (name, wakeup) in [
        ("Actor hop onto a loop from another thread (msg_ring wakeup)", EventLoopConfiguration.Wakeup.msgRing),
        ("Actor hop onto a loop from another thread (eventfd wakeup)", .eventfd),
    ] {
        Benchmark(name, configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
            var configuration = EventLoopConfiguration()
            configuration.wakeup = wakeup
            let group = try EventLoopGroup(loopCount: 1, configuration: configuration)
            let actor = Pinned(loop: group.loops[0])
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await actor.touch())
            }
            benchmark.stopMeasurement()
            await group.shutdown()
        }
    }

    Benchmark(
        "Actor call on the same loop",
        configuration: .init(metrics: metrics, scalingFactor: .kilo)
    ) { benchmark in
        let group = try EventLoopGroup(loopCount: 1)
        let caller = Pinned(loop: group.loops[0])
        let callee = Pinned(loop: group.loops[0])
        _ = await caller.call(callee, times: 1)
        benchmark.startMeasurement()
        blackHole(await caller.call(callee, times: benchmark.scaledIterations.count))
        benchmark.stopMeasurement()
        await group.shutdown()
    }

    for (name, loops) in [("64-byte echo round trip over loopback (one loop)", 1), ("64-byte echo round trip over loopback (two loops)", 2)] {
        Benchmark(name, configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
            let group = try EventLoopGroup(loopCount: loops)
            let server = Pinned(loop: group.loops[0])
            let client = Pinned(loop: group.loops[loops - 1])
            let address = try await server.listen()
            async let served: Void = server.serveOne()
            try await client.connect(to: address)
            let message = [UInt8](repeating: 0x42, count: 64)
            var reply: [UInt8] = []
            try await client.roundTrips(10, message: message, reply: &reply)
            benchmark.startMeasurement()
            try await client.roundTrips(benchmark.scaledIterations.count, message: message, reply: &reply)
            benchmark.stopMeasurement()
            await client.closeClient()
            try await served
            await group.shutdown()
        }
    }
}
