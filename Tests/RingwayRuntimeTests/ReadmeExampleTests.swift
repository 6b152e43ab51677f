import RingwayRuntime
import Testing

// The example from README.md, verbatim: it must keep compiling and working.
actor EchoConnection {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    let socket: TCPSocket
    init(socket: sending TCPSocket, loop: EventLoop) { self.socket = socket; self.loop = loop }

    func run() async throws {
        var buffer: [UInt8] = []
        while try await socket.read(into: &buffer) > 0 {   // multishot recv + provided buffers
            try await socket.write(buffer)                  // send, continued after short writes
            buffer.removeAll(keepingCapacity: true)
        }
        await socket.close()
    }
}

@Suite("README example", .timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test("the README's echo connection actor echoes")
    func readmeEcho() async throws {
        try await withGroup(loops: 2) { group in
            let server = Peer(loop: group.loops[0])
            let client = Peer(loop: group.loops[1])
            let address = try await server.listen()
            async let accepted = server.acceptEcho()
            try await client.connect(to: address, as: "c")
            let echo = try await accepted
            async let done: Void = echo.run()
            try await client.write("c", Array("ping".utf8))
            #expect(try await client.read("c", exactly: 4) == Array("ping".utf8))
            await client.close("c")
            try await done
            await server.closeListener()
        }
    }
}
