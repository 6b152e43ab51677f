import RingwayRuntime
import Glibc
import Synchronization

actor Server {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    var listener: TCPListener?
    init(loop: EventLoop) { self.loop = loop }
    func listen() throws -> SocketAddress {
        let l = try TCPListener.bind(try SocketAddress(host: "127.0.0.1", port: 0), backlog: 4096, on: loop)
        listener = l
        return l.localAddress
    }
    func serve(_ count: Int, progress: Counters) async throws {
        let loop = self.loop
        try await withThrowingTaskGroup(of: Void.self) { g in
            for _ in 0..<count {
                let c = try await self.listener!.accept()
                progress.accepted.add(1, ordering: .relaxed)
                g.addTask(executorPreference: loop) {
                    var buffer: [UInt8] = []
                    while try await c.read(into: &buffer) > 0 {
                        try await c.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                    await c.close()
                    progress.serverClosed.add(1, ordering: .relaxed)
                }
            }
        }
    }
}
final class Counters: Sendable {
    let accepted = Atomic<Int>(0), connected = Atomic<Int>(0), done = Atomic<Int>(0), serverClosed = Atomic<Int>(0), written = Atomic<Int>(0)
}

func main() async throws {
    let n = Int(CommandLine.arguments.dropFirst().first ?? "1000")!
    let size = 16 * 1024
    var cfg = EventLoopConfiguration(); if let b = getenv("BUFS") { cfg.receiveBufferCount = Int(atoi(b)) }; let group = try EventLoopGroup(loopCount: Int(atoi(getenv("LOOPS") ?? strdup("2"))), configuration: cfg)
    let server = Server(loop: group.loops[0])
    let addr = try await server.listen()
    let c = Counters()
    let reporter = Task.detached {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            print("accepted \(c.accepted.load(ordering: .relaxed)) connected \(c.connected.load(ordering: .relaxed)) written \(c.written.load(ordering: .relaxed)) done \(c.done.load(ordering: .relaxed)) serverClosed \(c.serverClosed.load(ordering: .relaxed))")
        }
    }
    async let served: Void = server.serve(n, progress: c)
    let clientLoop = group.loops[group.loops.count - 1]
    try await withThrowingTaskGroup(of: Void.self) { g in
        for i in 0..<n {
            g.addTask(executorPreference: clientLoop) {
                let s = try await TCPSocket.connect(to: addr, on: clientLoop)
                c.connected.add(1, ordering: .relaxed)
                let payload = [UInt8](repeating: UInt8(i & 0xff), count: size)
                var off = 0
                while off < size { let e = min(size, off + 1000 + i % 3000); try await s.write(Array(payload[off..<e])); off = e }
                c.written.add(1, ordering: .relaxed)
                var r: [UInt8] = []
                while r.count < size { guard try await s.read(into: &r) > 0 else { break } }
                precondition(r == payload)
                await s.close()
                c.done.add(1, ordering: .relaxed)
            }
        }
        try await g.waitForAll()
    }
    try await served
    reporter.cancel()
    print("ok")
    await group.shutdown()
}
try await main()
