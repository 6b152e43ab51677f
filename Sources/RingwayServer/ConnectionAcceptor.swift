import Logging
import RingwayRuntime
import RingwayTLS

/// Accepts connections on one loop and runs each as an ``HTTPConnection`` on that loop, in a
/// task group that ends when the listener is closed and every connection has finished.
actor ConnectionAcceptor {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private let server: ServerContext
    private var listener: TCPListener?
    private var connections: [UInt64: HTTPConnection] = [:]
    private var stopping = false
    private var refused = 0

    init(loop: EventLoop, server: ServerContext) {
        self.loop = loop
        self.server = server
    }

    /// Binds the listening socket; returns the bound address (with the port chosen for port 0).
    func bind(_ address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = false) throws -> SocketAddress {
        let listener = try TCPListener.bind(address, backlog: backlog, reusePort: reusePort, on: loop)
        self.listener = listener
        return listener.localAddress
    }

    /// Accepts and serves until ``stopAccepting()``, then waits for the open connections.
    func run() async {
        await withDiscardingTaskGroup { group in
            while let listener = self.listener, !self.stopping {
                let socket: TCPSocket
                do {
                    socket = try await listener.accept()
                } catch {
                    if self.stopping || error as? RuntimeError == .closed || error as? RuntimeError == .loopShutdown { break }
                    // Out of descriptors or memory: say so, pause briefly instead of spinning.
                    self.server.logger.error("accept failed", metadata: ["error": "\(error)"])
                    try? await self.loop.sleep(for: .milliseconds(100))
                    continue
                }
                guard let connection = await self.admit(socket) else { continue }
                group.addTask(executorPreference: self.loop) {
                    await connection.run()
                    await self.finished(connection.id)
                }
            }
        }
    }

    /// Makes the connection for `socket`, or closes it when the server is full.
    private func admit(_ socket: sending TCPSocket) async -> HTTPConnection? {
        let limit = server.maxConnections
        let open = server.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if limit > 0, open > limit {
            server.openConnections.wrappingSubtract(1, ordering: .relaxed)
            refused += 1
            if refused == 1 || refused % 1000 == 0 {
                server.logger.warning("connection limit reached; closing new connections", metadata: [
                    "max_connections": "\(limit)", "refused": "\(refused)",
                ])
            }
            await socket.close()
            return nil
        }
        var tls: TLSConnection?
        if let context = server.tls {
            do {
                tls = try TLSConnection(context: context)
            } catch {
                server.openConnections.wrappingSubtract(1, ordering: .relaxed)
                server.logger.error("cannot create a TLS connection", metadata: ["error": "\(error)"])
                await socket.close()
                return nil
            }
        }
        let connection = HTTPConnection(id: server.nextConnectionID(), socket: socket, tls: tls, server: server)
        connections[connection.id] = connection
        return connection
    }

    private func finished(_ id: UInt64) {
        connections.removeValue(forKey: id)
        server.openConnections.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Closes the listener: no new connection is accepted.
    func stopAccepting() async {
        stopping = true
        await listener?.close()
        listener = nil
    }

    /// Asks every connection to finish its exchange in progress and close.
    func drain() async {
        for connection in connections.values {
            await connection.beginDrain()
        }
    }

    /// Closes every connection now.
    func closeAll() async {
        for connection in connections.values {
            await connection.forceClose()
        }
    }

    /// Connections being served by this acceptor.
    var connectionCount: Int { connections.count }
}
