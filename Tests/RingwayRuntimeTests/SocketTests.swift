import Testing

@testable import RingwayRuntime

#if canImport(Glibc)
import Glibc
#endif

@Suite("Sockets over loopback", .timeLimit(.minutes(2)))
struct SocketTests {
    @Test("accept, connect, send and recv over loopback")
    func roundTrip() async throws {
        try await withGroup(loops: 2) { group in
            let server = Peer(loop: group.loops[0])
            let client = Peer(loop: group.loops[1])
            let address = try await server.listen()
            #expect(address.port != 0)
            async let accepted: Void = server.accept(as: "s")
            try await client.connect(to: address, as: "c")
            try await accepted
            try await client.write("c", Array("hello".utf8))
            #expect(try await server.read("s", exactly: 5) == Array("hello".utf8))
            try await server.write("s", Array("world".utf8))
            await server.close("s")
            #expect(try await client.readToEnd("c") == Array("world".utf8))
            await client.close("c")
            await server.closeListener()
        }
    }

    @Test("a send that completes while the socket closes leaves nothing buffered")
    func sendCompletingDuringClose() async throws {
        try await withGroup(loops: 1) { group in
            let server = Peer(loop: group.loops[0])
            let client = Peer(loop: group.loops[0])
            let address = try await server.listen()
            async let accepted: Void = server.accept(as: "s")
            try await client.connect(to: address, as: "c")
            try await accepted
            for _ in 0..<20 {
                try await client.connect(to: address, as: "c2")
                try await server.accept(as: "s2")
                #expect(try await client.enqueueThenClose("c2", pattern(seed: 1, count: 100)) == 0)
                await server.close("s2")
            }
            await client.close("c")
            await server.close("s")
            await server.closeListener()
        }
    }

    @Test("connecting to a port nobody listens on fails with ECONNREFUSED")
    func connectRefused() async throws {
        // A socket bound but not listening holds the port, so no other test's server can take
        // it, and connecting to it is refused.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(holder) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0
            }
        }
        try #require(bound)
        let address = try SocketAddress(host: "127.0.0.1", port: UInt16(bigEndian: sin.sin_port))
        try await withGroup(loops: 1) { group in
            let peer = Peer(loop: group.loops[0])
            let error = await outcome { try await peer.connect(to: address, as: "c") }
            let ioError = try #require(error as? IOError)
            #expect(ioError.errno == ECONNREFUSED)
            #expect(ioError.operation.hasPrefix("connect"))
        }
    }

    @Test("1,000 concurrent echo connections, every byte verified")
    func thousandEchoConnections() async throws {
        try await withGroup(loops: 2) { group in
            let verified = try await echoThroughServer(group: group, connections: 1000, bytesPerConnection: 16 * 1024)
            #expect(verified == 1000)
        }
    }

    @Test("a provided-buffer ring that runs dry (ENOBUFS) re-arms and loses nothing")
    func bufferRingExhaustion() async throws {
        var configuration = EventLoopConfiguration()
        configuration.receiveBufferCount = 2
        configuration.receiveBufferSize = 64
        try await withGroup(loops: 2, configuration: configuration) { group in
            let verified = try await echoThroughServer(group: group, connections: 20, bytesPerConnection: 16 * 1024)
            #expect(verified == 20)
        }
    }

    /// Echo server on loop 0, `connections` clients on loop 1 each sending a distinct pattern in
    /// uneven pieces; returns how many got every byte back intact.
    private func echoThroughServer(group: EventLoopGroup, connections: Int, bytesPerConnection: Int) async throws -> Int {
        let server = Peer(loop: group.loops[0])
        let clientLoop = group.loops[1]
        let address = try await server.listen(backlog: 2048)
        async let served = server.serveEcho(connections: connections)
        let verified = try await withThrowingTaskGroup(of: Bool.self) { clients in
            for seed in 0..<connections {
                clients.addTask(executorPreference: clientLoop) {
                    let socket = try await TCPSocket.connect(to: address, on: clientLoop)
                    let payload = pattern(seed: seed, count: bytesPerConnection)
                    // Uneven pieces, so reads and writes do not line up.
                    var offset = 0
                    while offset < payload.count {
                        let end = min(payload.count, offset + 1000 + seed % 3000)
                        try await socket.write(Array(payload[offset..<end]))
                        offset = end
                    }
                    var received: [UInt8] = []
                    try await socket.readExactly(bytesPerConnection, into: &received)
                    await socket.close()
                    return received == payload
                }
            }
            var good = 0
            for try await ok in clients where ok { good += 1 }
            return good
        }
        #expect(try await served == connections)
        await server.closeListener()
        return verified
    }

    @Test("cancelling a pending recv resumes the reader; the socket keeps working")
    func cancelPendingRecv() async throws {
        try await withGroup(loops: 1) { group in
            let peer = Peer(loop: group.loops[0])
            let address = try await peer.listen()
            async let accepted: Void = peer.accept(as: "s")
            try await peer.connect(to: address, as: "c")
            try await accepted
            let reader = Task { try await peer.readOnce("s") }
            // Let the reader park in the kernel before cancelling it.
            try await peer.sleep(.milliseconds(20))
            reader.cancel()
            let error = await outcome { _ = try await reader.value }
            #expect(error is CancellationError)
            // Nothing was lost or left armed: later bytes arrive.
            try await peer.write("c", [1, 2, 3])
            #expect(try await peer.read("s", exactly: 3) == [1, 2, 3])
            await peer.close("c")
            await peer.close("s")
            await peer.closeListener()
        }
    }

    @Test("cancelling a sleep resumes it with CancellationError")
    func cancelSleep() async throws {
        try await withGroup(loops: 1) { group in
            let peer = Peer(loop: group.loops[0])
            let clock = ContinuousClock()
            let start = clock.now
            let sleeper = Task { try await peer.sleep(.seconds(30)) }
            sleeper.cancel()
            let error = await outcome { try await sleeper.value }
            #expect(error is CancellationError)
            #expect(clock.now - start < .seconds(10))
            // A short sleep completes normally.
            try await peer.sleep(.milliseconds(1))
        }
    }

    @Test("sleeps until a deadline end at or after it, earliest deadline first whatever the call order")
    func sleepUntilDeadline() async throws {
        try await withGroup(loops: 1) { group in
            let peer = Peer(loop: group.loops[0])
            let start = ContinuousClock.now
            let woke = Locked<[Int]>([])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for offset in [400, 100, 300, 200] {
                    let deadline = start + .milliseconds(offset)
                    // On the loop, so each wakeup is recorded in the order the loop resumed them.
                    tasks.addTask(executorPreference: group.loops[0]) {
                        try await peer.sleep(until: deadline)
                        #expect(ContinuousClock.now >= deadline)
                        woke.withLock { $0.append(offset) }
                    }
                }
                try await tasks.waitForAll()
            }
            #expect(woke.withLock { $0 } == [100, 200, 300, 400])
            // A deadline already past returns at once, without an error.
            try await peer.sleep(until: start)
        }
    }

    @Test("a peer that closes mid-write makes the write fail with EPIPE or ECONNRESET")
    func peerClosesMidWrite() async throws {
        try await withGroup(loops: 2) { group in
            let server = Peer(loop: group.loops[0])
            let client = Peer(loop: group.loops[1])
            let address = try await server.listen()
            async let accepted: Void = server.accept(as: "s")
            try await client.connect(to: address, as: "c")
            try await accepted
            let chunk = [UInt8](repeating: 0x5A, count: 256 * 1024)
            // Far more than the socket buffers hold: a send is pending when the peer goes away.
            async let writerError = outcome {
                for _ in 0..<400 { try await server.write("s", chunk) }
            }
            _ = try await client.read("c", exactly: 1024)
            await client.close("c")
            let error = try #require(await writerError as? IOError)
            #expect([EPIPE, ECONNRESET].contains(error.errno))
            #expect(error.operation == "send")
            await server.close("s")
            await server.closeListener()
        }
    }

    @Test("a reader that does not keep up pauses receiving; everything arrives in order")
    func slowReaderBackpressure() async throws {
        var configuration = EventLoopConfiguration()
        configuration.maxPendingReadBytes = 64 * 1024
        try await withGroup(loops: 2, configuration: configuration) { group in
            let server = Peer(loop: group.loops[0])
            let client = Peer(loop: group.loops[1])
            let address = try await server.listen()
            async let accepted: Void = server.accept(as: "s")
            try await client.connect(to: address, as: "c")
            try await accepted
            let total = 4 * 1024 * 1024
            let payload = pattern(seed: 7, count: total)
            async let sent: Void = {
                try await client.write("c", payload)
                await client.close("c")
            }()
            // Give the sender a head start so the receive side fills up and pauses.
            try await server.sleep(.milliseconds(50))
            let received = try await server.readToEnd("s")
            try await sent
            #expect(received.count == total)
            #expect(received == payload)
            await server.close("s")
            await server.closeListener()
        }
    }

    @Test("a write larger than the buffer limit waits instead of failing; enqueue refuses")
    func writeBufferLimit() async throws {
        var configuration = EventLoopConfiguration()
        configuration.maxBufferedWriteBytes = 64 * 1024
        try await withGroup(loops: 1, configuration: configuration) { group in
            let peer = Peer(loop: group.loops[0])
            let address = try await peer.listen()
            async let accepted: Void = peer.accept(as: "s")
            try await peer.connect(to: address, as: "c")
            try await accepted
            // Nobody reads the client side: the kernel's buffers fill, then ours.
            let chunk = [UInt8](repeating: 1, count: 16 * 1024)
            let (refused, buffered) = await peer.enqueueUntilRefused("s", chunk: chunk)
            #expect(refused as? RuntimeError == .writeBufferFull(limit: 64 * 1024))
            #expect(buffered <= 64 * 1024)
            await peer.close("s")
            await peer.close("c")
            await peer.closeListener()
        }
    }

    @Test("shutdown with operations pending resumes every waiter and closes descriptors")
    func shutdownWithPendingOperations() async throws {
        let group = try EventLoopGroup(loopCount: 2)
        let first = Peer(loop: group.loops[0])
        let second = Peer(loop: group.loops[1])
        let address = try await first.listen()
        // An open connection nobody closes: shutdown must close it.
        async let accepted: Void = first.accept(as: "s")
        try await first.connect(to: address, as: "c")
        try await accepted
        await first.abandon("s")
        // Pending operations in the kernel: an accept, a sleep and a recv.
        let acceptTask = Task { try await first.accept(as: "never") }
        let sleepTask = Task { try await second.sleep(.seconds(60)) }
        let readTask = Task { _ = try await first.readOnce("c") }
        try await second.sleep(.milliseconds(50))
        await group.shutdown()
        #expect(await outcome { try await acceptTask.value } as? RuntimeError == .loopShutdown)
        #expect(await outcome { try await sleepTask.value } as? RuntimeError == .loopShutdown)
        #expect(await outcome { try await readTask.value } as? RuntimeError == .loopShutdown)
        // The listening socket was closed: its port refuses connections now.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(rc == -1 && errno == ECONNREFUSED)
        // New operations fail at once instead of hanging.
        #expect(await outcome { try await second.sleep(.milliseconds(1)) } != nil)
    }
}
