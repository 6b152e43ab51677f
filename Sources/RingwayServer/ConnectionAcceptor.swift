import Logging
import RingwayHTTP
import RingwayRuntime
import RingwayTLS

/// Accepts connections on one loop and runs each as an ``HTTPConnection`` on one of the serving
/// loops (in turn), each in a task of its own; ``run()`` ends when the listener is closed and
/// every connection has finished.
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
    private var refusedPerAddress = 0
    /// The task of each connection being served, until it ends.
    private var tasks: [UInt64: Task<Void, Never>] = [:]
    private var nextTaskKey: UInt64 = 0
    private var allEnded: [CheckedContinuation<Void, Never>] = []
    /// The task running ``run()`` was cancelled: so is every connection's.
    private var cancelled = false

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
    /// Cancelling the task that runs this cancels every connection's task.
    ///
    /// Each connection is a task of its own, not a child of a task group: a group finds a
    /// finished child by walking its list of children, so with 10,000 sessions open every short
    /// connection (an authentication, a key lookup, a poll) cost a walk of 10,000 entries when
    /// it ended (a quarter of the daemon's CPU in a profile).
    func run() async {
        await withTaskCancellationHandler {
            await acceptUntilStopped()
            await waitForConnections()
        } onCancel: {
            Task(executorPreference: loop) { await self.cancelConnections() }
        }
    }

    private func acceptUntilStopped() async {
        while let listener = self.listener, !self.stopping {
            let descriptor: AcceptedDescriptor
            do {
                descriptor = try await listener.acceptDescriptor()
            } catch {
                if self.stopping || error as? RuntimeError == .closed || error as? RuntimeError == .loopShutdown { break }
                if Task.isCancelled { break }
                // Out of descriptors or memory: say so, pause briefly instead of spinning.
                self.server.logger.error("accept failed", metadata: ["error": "\(error)"])
                try? await self.loop.sleep(for: .milliseconds(100))
                continue
            }
            let target = self.serving[self.nextLoop % self.serving.count]
            self.nextLoop &+= 1
            nextTaskKey &+= 1
            let key = nextTaskKey
            // Registered before the task can end: its `taskEnded` needs this actor, which is
            // busy until this loop suspends again.
            tasks[key] = Task(executorPreference: target) {
                let served = await self.serve(descriptor, on: target)
                await self.taskEnded(key, served: served)
            }
            if cancelled { tasks[key]?.cancel() }
        }
    }

    /// Serves one accepted connection; returns its id and address once it has been served
    /// (nil when it was refused).
    private nonisolated func serve(_ descriptor: AcceptedDescriptor, on target: EventLoop) async -> (id: UInt64, address: SocketAddress?)? {
        // The socket is made on the loop that serves it: all its I/O stays there.
        let socket = TCPSocket(adopting: descriptor, on: target)
        let address = socket.remoteAddress
        let tls: TLSConnection?
        switch await self.admit(from: address) {
        case .admitted(let admitted):
            tls = admitted
        case .refused(let refusal):
            // Over TLS the answer would need a whole handshake, the very work the
            // limits protect against: such a connection is closed without one.
            if let refusal, self.server.tls == nil { await Self.answer(refusal, on: socket) }
            await socket.close()
            return nil
        }
        let connection = HTTPConnection(id: self.server.nextConnectionID(), socket: socket, tls: tls, server: self.server)
        self.server.metrics.connectionOpened()
        await self.register(connection)
        await connection.run()
        return (connection.id, address)
    }

    private func taskEnded(_ key: UInt64, served: (id: UInt64, address: SocketAddress?)?) {
        if let served { finished(served.id, address: served.address) }
        tasks[key] = nil
        guard tasks.isEmpty else { return }
        let waiters = allEnded
        allEnded = []
        for waiter in waiters { waiter.resume() }
    }

    private func waitForConnections() async {
        guard !tasks.isEmpty else { return }
        await withCheckedContinuation { allEnded.append($0) }
    }

    private func cancelConnections() {
        cancelled = true
        for task in tasks.values { task.cancel() }
    }

    /// Whether a new connection may be served (under the connection limits), with its TLS state.
    enum AdmitDecision {
        /// Refused with this answer (nil: closed without one).
        case refused(AdmissionRefusal?)
        case admitted(TLSConnection?)
    }

    /// Counts a new connection in, or refuses it when the server or its address has too many.
    private func admit(from address: SocketAddress?) -> sending AdmitDecision {
        let limit = server.maxConnections
        let open = server.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if limit > 0, open > limit {
            server.openConnections.wrappingSubtract(1, ordering: .relaxed)
            refused += 1
            if refused == 1 || refused % 1000 == 0 {
                server.logger.warning("connection limit reached; refusing new connections", metadata: [
                    "max_connections": "\(limit)", "refused": "\(refused)",
                ])
            }
            return .refused(AdmissionRefusal(code: .rateLimited, message: "the server has too many connections", retryAfterSeconds: 1))
        }
        if let refusal = server.admission.admitConnection(from: address) {
            server.openConnections.wrappingSubtract(1, ordering: .relaxed)
            refusedPerAddress += 1
            if refusedPerAddress == 1 || refusedPerAddress % 1000 == 0 {
                server.logger.warning("connection limit per address reached; refusing new connections", metadata: [
                    "peer": "\(address?.host ?? "")", "refused": "\(refusedPerAddress)",
                ])
            }
            return .refused(refusal)
        }
        guard let context = server.tls else { return .admitted(nil) }
        do {
            return .admitted(try TLSConnection(context: context))
        } catch {
            server.openConnections.wrappingSubtract(1, ordering: .relaxed)
            server.admission.connectionClosed(from: address)
            server.logger.error("cannot create a TLS connection", metadata: ["error": "\(error)"])
            return .refused(nil)
        }
    }

    /// Writes a minimal `429` with the contract's error body to a refused plain connection.
    private nonisolated static func answer(_ refusal: AdmissionRefusal, on socket: TCPSocket) async {
        var response = refusal.response
        response.headers.add(name: "Connection", value: "close")
        var bytes: [UInt8] = []
        do {
            try HTTPWriter.writeResponse(ResponseHead(status: response.status, headers: response.headers), body: response.body, into: &bytes)
            // A few hundred bytes into a fresh socket: the kernel takes them at once.
            try await socket.write(bytes)
        } catch {
            return
        }
    }

    private func register(_ connection: HTTPConnection) {
        connections[connection.id] = connection
    }

    private func finished(_ id: UInt64, address: SocketAddress?) {
        connections.removeValue(forKey: id)
        server.openConnections.wrappingSubtract(1, ordering: .relaxed)
        server.metrics.connectionClosed()
        server.admission.connectionClosed(from: address)
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
