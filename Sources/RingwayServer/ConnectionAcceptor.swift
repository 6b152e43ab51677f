import Logging
import RingwayRuntime
import RingwayTLS

/// Accepts connections on one loop and runs each as an ``HTTPConnection`` on one of the serving
/// loops (in turn), in a task group that ends when the listener is closed and every connection
/// has finished.
actor ConnectionAcceptor {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private let server: ServerContext
    private let serving: [EventLoop]
    private var nextLoop = 0
    private var listener: TCPListener?
    private var connections: [UInt64: HTTPConnection] = [:]
    private var stopping = false
    private var refused = 0

    init(loop: EventLoop, serving: [EventLoop], server: ServerContext) {
        self.loop = loop
        self.serving = serving.isEmpty ? [loop] : serving
        self.server = server
    }

    /// Binds the listening socket; returns the bound address (with the port chosen for port 0).
    func bind(_ address: SocketAddress, backlog: Int32 = 4096) throws -> SocketAddress {
        let listener = try TCPListener.bind(address, backlog: backlog, on: loop)
        self.listener = listener
        return listener.localAddress
    }

    /// Accepts and serves until ``stopAccepting()``, then waits for the open connections.
    func run() async {
        await withDiscardingTaskGroup { group in
            while let listener = self.listener, !self.stopping {
                let descriptor: AcceptedDescriptor
                do {
                    descriptor = try await listener.acceptDescriptor()
                } catch {
                    if self.stopping || error as? RuntimeError == .closed || error as? RuntimeError == .loopShutdown { break }
                    // Out of descriptors or memory: say so, pause briefly instead of spinning.
                    self.server.logger.error("accept failed", metadata: ["error": "\(error)"])
                    try? await self.loop.sleep(for: .milliseconds(100))
                    continue
                }
                let target = self.serving[self.nextLoop % self.serving.count]
                self.nextLoop &+= 1
                group.addTask(executorPreference: target) {
                    // The socket is made on the loop that serves it: all its I/O stays there.
                    let socket = TCPSocket(adopting: descriptor, on: target)
                    guard case .admitted(let tls) = await self.admit() else {
                        await socket.close()
                        return
                    }
                    let connection = HTTPConnection(id: self.server.nextConnectionID(), socket: socket, tls: tls, server: self.server)
                    self.server.metrics.connectionOpened()
                    await self.register(connection)
                    await connection.run()
                    await self.finished(connection.id)
                }
            }
        }
    }

    /// Whether a new connection may be served (under the connection limit), with its TLS state.
    enum Admission {
        case refused
        case admitted(TLSConnection?)
    }

    /// Counts a new connection in, or refuses it when the server is full.
    private func admit() -> sending Admission {
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
            return .refused
        }
        guard let context = server.tls else { return .admitted(nil) }
        do {
            return .admitted(try TLSConnection(context: context))
        } catch {
            server.openConnections.wrappingSubtract(1, ordering: .relaxed)
            server.logger.error("cannot create a TLS connection", metadata: ["error": "\(error)"])
            return .refused
        }
    }

    private func register(_ connection: HTTPConnection) {
        connections[connection.id] = connection
    }

    private func finished(_ id: UInt64) {
        connections.removeValue(forKey: id)
        server.openConnections.wrappingSubtract(1, ordering: .relaxed)
        server.metrics.connectionClosed()
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
