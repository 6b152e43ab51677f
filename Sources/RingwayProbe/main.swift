// ringway-probe: measurements of the runtime itself (idle-connection memory, syscall profile
// under load, echo round trips), run by scripts/check-runtime.sh and quoted in BENCHMARKS.md.
import RingwayRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Accepts connections and keeps a receive armed on each, as a server with idle clients does.
actor IdleServer {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var listener: TCPListener?
    init(loop: EventLoop) { self.loop = loop }

    func listen() throws -> SocketAddress {
        let listener = try TCPListener.bind(SocketAddress(host: "127.0.0.1", port: 0), backlog: 4096, on: loop)
        self.listener = listener
        return listener.localAddress
    }

    /// Accepts `count` connections; each parks a reader task that waits for bytes that never come.
    func acceptIdle(_ count: Int, parked: Counter) async throws {
        let loop = self.loop
        for _ in 0..<count {
            let connection = try await self.listener!.accept()
            Task(executorPreference: loop) {
                var buffer: [UInt8] = []
                parked.increment()
                _ = try? await connection.read(into: &buffer)
                await connection.close()
            }
        }
    }
}

/// Echoes every byte back until the peer closes.
actor EchoServer {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var listener: TCPListener?
    init(loop: EventLoop) { self.loop = loop }

    func listen(port: UInt16) throws -> SocketAddress {
        let listener = try TCPListener.bind(SocketAddress(host: "127.0.0.1", port: port), backlog: 4096, on: loop)
        self.listener = listener
        return listener.localAddress
    }

    func serve() async throws {
        while true {
            let connection = try await self.listener!.accept()
            Task(executorPreference: loop) {
                var buffer: [UInt8] = []
                while (try? await connection.read(into: &buffer)) ?? 0 > 0 {
                    do { try await connection.write(buffer) } catch { break }
                    buffer.removeAll(keepingCapacity: true)
                }
                await connection.close()
            }
        }
    }
}

final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    func increment() { atomic.add(1, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// Client and server as actors on one loop, as the benchmark does it.
actor EchoEnd {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var listener: TCPListener?
    private var socket: TCPSocket?
    init(loop: EventLoop) { self.loop = loop }
    func listen() throws -> SocketAddress {
        let listener = try TCPListener.bind(SocketAddress(host: "127.0.0.1", port: 0), on: loop)
        self.listener = listener
        return listener.localAddress
    }
    func serveOne() async throws {
        let connection = try await listener!.accept()
        var buffer: [UInt8] = []
        while try await connection.read(into: &buffer) > 0 {
            try await connection.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        await connection.close()
    }
    func connect(_ address: SocketAddress) async throws { socket = try await TCPSocket.connect(to: address, on: loop) }
    func roundTrips(_ n: Int) async throws {
        let message = [UInt8](repeating: 1, count: 64)
        var reply: [UInt8] = []
        for _ in 0..<n {
            try await socket!.write(message)
            reply.removeAll(keepingCapacity: true)
            try await socket!.readExactly(64, into: &reply)
        }
    }
    func closeClient() async { await socket?.close() }
}

actor HopTester {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    init(loop: EventLoop) { self.loop = loop }
    func plain(_ n: Int) async {
        for _ in 0..<n { await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in loop.execute { c.resume() } } }
    }
    func explicitIso(_ n: Int) async {
        for _ in 0..<n { await withUnsafeContinuation(isolation: self) { (c: UnsafeContinuation<Void, Never>) in loop.execute { c.resume() } } }
    }
    func withPreference(_ n: Int) async {
        for _ in 0..<n {
            await withTaskExecutorPreference(loop) {
                _ = self
                return await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in loop.execute { c.resume() } }
            }
        }
    }
    func viaLocalJob(_ n: Int) async {
        // resume from a job enqueued on the loop (as a CQE handler would), not a closure
        for _ in 0..<n { await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in c.resume() } }
    }
    func handler(_ n: Int) async {
        for _ in 0..<n {
            await withTaskCancellationHandler {
                await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in loop.execute { c.resume() } }
            } onCancel: {}
        }
    }
    func handlerViaIsolatedHelper(_ n: Int) async {
        for _ in 0..<n { await helper() }
    }
    private func helper(isolation: isolated (any Actor)? = #isolation) async {
        await withTaskCancellationHandler {
            _ = isolation
            return await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in loop.execute { c.resume() } }
        } onCancel: {}
    }
}

func residentKilobytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            return Int(text.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
    }
    return -1
}

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let n = Int(args[i + 1]) { return n }
    return value
}

func say(_ text: String) {
    print(text)
    fflush(nil)
}

/// Waits until standard input reaches end of file (the controlling script closes it).
func waitForStdinEOF() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.start {
            var byte: UInt8 = 0
            while read(0, &byte, 1) > 0 {}
            continuation.resume()
        }
    }
}

enum Thread {
    static func start(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        var tid = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(&tid, nil, { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box)
        pthread_detach(tid)
    }
}

/// Opens `count` plain blocking connections (the side not being measured) and holds them.
func idleClients(port: UInt16, count: Int) async {
    var fds: [Int32] = []
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if fd < 0 || rc != 0 {
            say("connect failed after \(fds.count) connections: errno \(errno)")
            exit(1)
        }
        fds.append(fd)
    }
    say("connected \(fds.count)")
    await waitForStdinEOF()
    for fd in fds { close(fd) }
}

/// `connections` clients each send `size`-byte messages and wait for the echo, for `seconds`.
func echoLoad(port: UInt16, connections: Int, size: Int, seconds: Int, group: EventLoopGroup) async throws {
    let address = try SocketAddress(host: "127.0.0.1", port: port)
    let roundTrips = Counter()
    let deadline = ContinuousClock.now + .seconds(seconds)
    try await withThrowingTaskGroup(of: Void.self) { clients in
        for i in 0..<connections {
            let loop = group.loops[i % group.loops.count]
            clients.addTask(executorPreference: loop) {
                let socket = try await TCPSocket.connect(to: address, on: loop)
                let message = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: size)
                var reply: [UInt8] = []
                while ContinuousClock.now < deadline {
                    try await socket.write(message)
                    reply.removeAll(keepingCapacity: true)
                    try await socket.readExactly(size, into: &reply)
                    precondition(reply == message, "echo mismatch")
                    roundTrips.increment()
                }
                await socket.close()
            }
        }
        try await clients.waitForAll()
    }
    let total = roundTrips.value
    say("round_trips \(total) per_second \(total / max(1, seconds))")
}

/// `timers`: `count` tasks on one loop, each waking every `period` ms (at a random phase,
/// starting a second after the start) for `seconds`; reports how late the wakeups were.
func timerLateness(count: Int, periodMilliseconds: Int, seconds: Int) async throws {
    let group = try EventLoopGroup(loopCount: 1)
    let loop = group.loops[0]
    let lateness = Locked<[Int64]>([])
    let clock = ContinuousClock()
    // The first wakeups come after a second, once every task has started and is asleep.
    let first = clock.now + .seconds(1)
    let end = first + .seconds(seconds)
    // Unstructured tasks: a group of `count` children would measure the group's bookkeeping.
    var tasks: [Task<Void, Never>] = []
    do {
        for _ in 0..<count {
            tasks.append(Task(executorPreference: loop) {
                var intended = first + .milliseconds(Int.random(in: 0..<periodMilliseconds))
                var samples: [Int64] = []
                while intended < end {
                    if intended > clock.now { try? await loop.sleep(until: intended) }
                    let late = clock.now - intended
                    samples.append(late.components.seconds * 1_000_000 + late.components.attoseconds / 1_000_000_000_000)
                    intended += .milliseconds(periodMilliseconds)
                }
                lateness.withLock { $0 += samples }
            })
        }
    }
    for task in tasks { await task.value }
    let sorted = lateness.withLock { $0 }.sorted()
    func at(_ q: Double) -> Int64 { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
    let over = sorted.filter { $0 > 10_000 }.count
    say("timers \(count) period_ms \(periodMilliseconds) wakeups \(sorted.count) late_us p50 \(at(0.5)) p90 \(at(0.9)) p99 \(at(0.99)) max \(sorted.last ?? 0) over_10ms \(over)")
    await group.shutdown()
}

func run() async throws {
    let mode = CommandLine.arguments.dropFirst().first ?? "help"
    switch mode {
    case "timers":
        try await timerLateness(
            count: argument("--count", default: 1_000), periodMilliseconds: argument("--period-ms", default: 1_000),
            seconds: argument("--seconds", default: 5))
    case "idle-server":
        let count = argument("--connections", default: 10_000)
        let group = try EventLoopGroup()
        let server = IdleServer(loop: group.loops[0])
        let address = try await server.listen()
        say("listening \(address.port)")
        let baseline = residentKilobytes()
        let parked = Counter()
        try await server.acceptIdle(count, parked: parked)
        while parked.value < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        // Let the last receives reach the kernel before measuring.
        try await Task.sleep(for: .milliseconds(200))
        let rss = residentKilobytes()
        say("idle_connections \(count) rss_kb \(rss) baseline_kb \(baseline) per_connection_bytes \((rss - baseline) * 1024 / max(1, count))")
        await waitForStdinEOF()
        await group.shutdown()
    case "idle-clients":
        await idleClients(port: UInt16(argument("--port", default: 0)), count: argument("--connections", default: 10_000))
    case "echo-server":
        let group = try EventLoopGroup(loopCount: 1)
        let server = EchoServer(loop: group.loops[0])
        let address = try await server.listen(port: UInt16(argument("--port", default: 0)))
        say("listening \(address.port)")
        let serving = Task { try await server.serve() }
        await waitForStdinEOF()
        serving.cancel()
        exit(0)
    case "echo-load":
        let group = try EventLoopGroup(loopCount: argument("--loops", default: 1))
        try await echoLoad(
            port: UInt16(argument("--port", default: 0)),
            connections: argument("--connections", default: 1),
            size: argument("--size", default: 64),
            seconds: argument("--seconds", default: 3),
            group: group
        )
        await group.shutdown()
    case "echo-actor":
        let group = try EventLoopGroup(loopCount: 1)
        let server = EchoEnd(loop: group.loops[0]), client = EchoEnd(loop: group.loops[0])
        let address = try await server.listen()
        async let served: Void = server.serveOne()
        try await client.connect(address)
        let n = argument("--count", default: 20000)
        let start = ContinuousClock.now
        try await client.roundTrips(n)
        let elapsed = ContinuousClock.now - start
        say("round_trips \(n) in \(elapsed), per round trip \(elapsed / n)")
        await client.closeClient()
        try await served
        exit(0)
    case "hops":
        let group = try EventLoopGroup(loopCount: 1)
        let t = HopTester(loop: group.loops[0])
        let n = 20000
        for name in ["plain", "explicit", "immediate", "preference", "handler", "isolated-helper"] {
            let start = ContinuousClock.now
            switch name {
            case "plain": await t.plain(n)
            case "explicit": await t.explicitIso(n)
            case "immediate": await t.viaLocalJob(n)
            case "preference": await t.withPreference(n)
            case "handler": await t.handler(n)
            default: await t.handlerViaIsolatedHelper(n)
            }
            say("\(name): \((ContinuousClock.now - start) / n) per op")
        }
        let loop0 = group.loops[0]
        await Task(executorPreference: loop0) {
            let start = ContinuousClock.now
            await t.plain(n)
            say("plain from a task preferring the loop: \((ContinuousClock.now - start) / n) per op")
        }.value
        exit(0)
    case "echo-self":
        // Client and server in this process: --loops 1 puts both on one loop, --loops 2 gives
        // the clients a loop of their own.
        let loops = argument("--loops", default: 1)
        let group = try EventLoopGroup(loopCount: 1)
        let server = EchoServer(loop: group.loops[0])
        let address = try await server.listen(port: 0)
        let serving = Task { try await server.serve() }
        try await echoLoad(
            port: address.port,
            connections: argument("--connections", default: 1),
            size: argument("--size", default: 64),
            seconds: argument("--seconds", default: 2),
            group: loops == 1 ? group : try EventLoopGroup(loopCount: 1)
        )
        serving.cancel()
        exit(0)
    default:
        say("""
            usage: ringway-probe idle-server [--connections N]
                   ringway-probe idle-clients --port P [--connections N]
                   ringway-probe echo-server [--port P]
                   ringway-probe echo-load --port P [--connections C] [--size B] [--seconds S] [--loops L]
                   ringway-probe echo-self [--loops L] [--connections C] [--size B] [--seconds S]
                   ringway-probe echo-actor [--count N]
                   ringway-probe hops
                   ringway-probe timers [--count N] [--period-ms P] [--seconds S]
            """)
    }
}

try await run()
