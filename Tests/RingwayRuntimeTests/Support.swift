import RingwayRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An actor whose methods run on a given loop.
actor LoopActor {
    let loop: EventLoop
    init(loop: EventLoop) { self.loop = loop }
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    func isOnLoopThread() -> Bool { loop.inLoop }
    func threadName() -> String { currentThreadName() }
    var counter = 0
    func increment() -> Int {
        counter += 1
        return counter
    }
}

func currentThreadName() -> String {
    let fd = open("/proc/thread-self/comm", O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return String(decoding: buffer.prefix(max(0, n)).filter { $0 != 10 }, as: UTF8.self)
}

/// Runs `body` with a fresh group and always shuts it down.
func withGroup<T>(
    loops: Int = 2,
    configuration: EventLoopConfiguration = .init(),
    _ body: (EventLoopGroup) async throws -> T
) async throws -> T {
    let group = try EventLoopGroup(loopCount: loops, configuration: configuration)
    do {
        let value = try await body(group)
        await group.shutdown()
        return value
    } catch {
        await group.shutdown()
        throw error
    }
}

let loopback = try! SocketAddress(host: "127.0.0.1", port: 0)

/// Deterministic test bytes that differ per connection and per position.
func pattern(seed: Int, count: Int) -> [UInt8] {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// A test peer pinned to one loop that owns a listener and named sockets.
actor Peer {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var listener: TCPListener?
    private var sockets: [String: TCPSocket] = [:]

    init(loop: EventLoop) { self.loop = loop }

    func listen(backlog: Int32 = 4096) throws -> SocketAddress {
        let listener = try TCPListener.bind(loopback, backlog: backlog, on: loop)
        self.listener = listener
        return listener.localAddress
    }

    func accept(as name: String) async throws {
        sockets[name] = try await listener!.accept()
    }

    /// Accepts one connection and wraps it in the README's example actor.
    func acceptEcho() async throws -> EchoConnection {
        let socket = try await listener!.accept()
        return EchoConnection(socket: socket, loop: loop)
    }

    func connect(to address: SocketAddress, as name: String) async throws {
        sockets[name] = try await TCPSocket.connect(to: address, on: loop)
    }

    func write(_ name: String, _ bytes: [UInt8]) async throws {
        try await sockets[name]!.write(bytes)
    }

    func read(_ name: String, exactly count: Int) async throws -> [UInt8] {
        var buffer: [UInt8] = []
        try await sockets[name]!.readExactly(count, into: &buffer)
        return buffer
    }

    /// One read; returns what it got (empty at end of stream).
    func readOnce(_ name: String) async throws -> [UInt8] {
        var buffer: [UInt8] = []
        _ = try await sockets[name]!.read(into: &buffer)
        return buffer
    }

    func readToEnd(_ name: String) async throws -> [UInt8] {
        var buffer: [UInt8] = []
        while try await sockets[name]!.read(into: &buffer) > 0 {}
        return buffer
    }

    func close(_ name: String) async {
        await sockets.removeValue(forKey: name)?.close()
    }

    func closeListener() async {
        await listener?.close()
        listener = nil
    }

    /// Enqueues `bytes` and closes at once, while the send is in flight; returns what the
    /// socket reports as still buffered afterwards.
    func enqueueThenClose(_ name: String, _ bytes: [UInt8]) async throws -> Int {
        let socket = sockets.removeValue(forKey: name)!
        try bytes.withUnsafeBytes { try socket.enqueue($0) }
        await socket.close()
        return socket.bufferedWriteBytes
    }

    /// Forgets a socket without closing it (the loop's shutdown must close it).
    func abandon(_ name: String) {
        _ = sockets.removeValue(forKey: name)
    }

    /// Enqueues `chunk` without waiting until the socket refuses; returns the error and the
    /// bytes it then buffers.
    func enqueueUntilRefused(_ name: String, chunk: [UInt8]) -> ((any Error)?, Int) {
        let socket = sockets[name]!
        for _ in 0..<100_000 {
            do {
                try chunk.withUnsafeBytes { try socket.enqueue($0) }
            } catch {
                return (error, socket.bufferedWriteBytes)
            }
        }
        return (nil, socket.bufferedWriteBytes)
    }

    func sleep(_ duration: Duration) async throws {
        try await loop.sleep(for: duration)
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await loop.sleep(until: deadline)
    }

    /// Accepts `count` connections and echoes each until its peer closes; returns the count.
    func serveEcho(connections count: Int) async throws -> Int {
        let loop = self.loop
        var accepted = 0
        // The body refers to `self`, so it stays isolated to this actor (and its loop).
        try await withThrowingTaskGroup(of: Void.self) { handlers in
            while accepted < count {
                let connection = try await self.listener!.accept()
                accepted += 1
                handlers.addTask(executorPreference: loop) {
                    var buffer: [UInt8] = []
                    while try await connection.read(into: &buffer) > 0 {
                        try await connection.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                    await connection.close()
                }
            }
            try await handlers.waitForAll()
        }
        return accepted
    }
}

/// Captures the outcome of an async call as a value, for asserting on errors.
func outcome(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}
